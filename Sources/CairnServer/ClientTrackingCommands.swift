import CairnCommands
import CairnCore

/// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: server-assisted client-side
/// caching, with Redis 7.0's options, checks and error texts.
enum ClientTrackingCommands {
    static func specs(_ engine: Engine) -> [CommandSpec] {
        let flags: CommandFlags = [.noscript, .loading, .stale]
        return [
            CommandSpec("tracking", arity: -3, flags: flags, acl: .connection, group: "connection", since: "6.0.0",
                        summary: "Enable or disable server assisted client side caching support") { ctx in
                tracking(ctx, engine)
            },
            CommandSpec("caching", arity: 3, flags: flags, acl: .connection, group: "connection", since: "6.0.0",
                        summary: "Instruct the server about tracking or not keys in the next request") { ctx in
                caching(ctx)
            },
            CommandSpec("getredir", arity: 2, flags: flags, acl: .connection, group: "connection", since: "6.0.0",
                        summary: "Get tracking notifications redirection client ID if any") { ctx in
                ctx.out.integer(ctx.session.tracking?.redirect ?? -1)
            },
            CommandSpec("trackinginfo", arity: 2, flags: flags, acl: .connection, group: "connection", since: "6.2.0",
                        summary: "Return information about server assisted client side caching for the current connection") { ctx in
                trackingInfo(ctx)
            },
        ]
    }

    static func tracking(_ ctx: CommandContext, _ engine: Engine) {
        var mode: TrackingMode = []
        var redirect: Int64 = 0
        var prefixes: [Bytes] = []
        var j = 3
        while j < ctx.args.count {
            let more = j + 1 < ctx.args.count
            if ctx.isOption(j, "redirect") && more {
                j += 1
                if redirect != 0 { ctx.out.error("ERR A client can only redirect to a single other client"); return }
                guard let id = ctx.int64Arg(j) else { return }
                guard engine.clients[id] != nil else {
                    ctx.out.error("ERR The client ID you want redirect to does not exist")
                    return
                }
                redirect = id
            } else if ctx.isOption(j, "bcast") {
                mode.insert(.bcast)
            } else if ctx.isOption(j, "optin") {
                mode.insert(.optin)
            } else if ctx.isOption(j, "optout") {
                mode.insert(.optout)
            } else if ctx.isOption(j, "noloop") {
                mode.insert(.noloop)
            } else if ctx.isOption(j, "prefix") && more {
                j += 1
                prefixes.append(ctx.args[j])
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        if ctx.isOption(2, "off") {
            ctx.disableTracking(ctx.session)
            ctx.out.ok()
            return
        }
        guard ctx.isOption(2, "on") else { ctx.syntaxError(); return }
        if let refusal = refusal(ctx, mode, prefixes) {
            ctx.out.error(refusal)
            return
        }
        ctx.enableTracking(ctx.session, mode: mode, redirect: redirect, prefixes: prefixes)
        ctx.out.ok()
    }

    /// Why CLIENT TRACKING on with these options may not be, in Redis's order of checks.
    static func refusal(_ ctx: CommandContext, _ mode: TrackingMode, _ prefixes: [Bytes]) -> String? {
        if !mode.contains(.bcast) && !prefixes.isEmpty { return "ERR PREFIX option requires BCAST mode to be enabled" }
        if let current = ctx.session.tracking, current.mode.contains(.bcast) != mode.contains(.bcast) {
            return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
        }
        if mode.contains(.bcast) && !mode.isDisjoint(with: [.optin, .optout]) {
            return "ERR OPTIN and OPTOUT are not compatible with BCAST"
        }
        if mode.isSuperset(of: [.optin, .optout]) { return "ERR You can't specify both OPTIN mode and OPTOUT mode" }
        if let current = ctx.session.tracking?.mode,
           (mode.contains(.optin) && current.contains(.optout)) || (mode.contains(.optout) && current.contains(.optin)) {
            return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
        }
        if mode.contains(.bcast) { return ctx.tracking.overlap(prefixes, of: ctx.session) }
        return nil
    }

    static func caching(_ ctx: CommandContext) {
        guard let state = ctx.session.tracking else {
            ctx.out.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
            return
        }
        if ctx.isOption(2, "yes") {
            guard state.mode.contains(.optin) else {
                ctx.out.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
                return
            }
        } else if ctx.isOption(2, "no") {
            guard state.mode.contains(.optout) else {
                ctx.out.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
                return
            }
        } else {
            ctx.syntaxError()
            return
        }
        state.cachingGiven = true
        ctx.out.ok()
    }

    static func trackingInfo(_ ctx: CommandContext) {
        let state = ctx.session.tracking
        ctx.out.mapHeader(3)
        ctx.out.bulk("flags")
        var flags: [String] = []
        if let state {
            flags.append("on")
            if state.mode.contains(.bcast) { flags.append("bcast") }
            if state.mode.contains(.optin) {
                flags.append("optin")
                if state.cachingGiven { flags.append("caching-yes") }
            }
            if state.mode.contains(.optout) {
                flags.append("optout")
                if state.cachingGiven { flags.append("caching-no") }
            }
            if state.mode.contains(.noloop) { flags.append("noloop") }
            if state.brokenRedirect { flags.append("broken_redirect") }
        } else {
            flags.append("off")
        }
        ctx.out.setHeader(flags.count)
        for f in flags { ctx.out.bulk(f) }
        ctx.out.bulk("redirect")
        ctx.out.integer(state.map { $0.redirect } ?? -1)
        ctx.out.bulk("prefixes")
        let prefixes = (state?.prefixes ?? []).sorted()
        ctx.out.arrayHeader(prefixes.count)
        for p in prefixes { ctx.out.bulk(p) }
    }
}
