import CairnCore

/// LATENCY LATEST, HISTORY, RESET, HISTOGRAM, DOCTOR, GRAPH and HELP (Redis's latency.c).
enum LatencyCommand {
    static let specs: [CommandSpec] = {
        let l = CommandSpec("latency", arity: -2, flags: [], acl: [], group: "server", since: "2.8.13",
                            summary: "A container for latency diagnostics commands")
        func sub(_ name: String, _ arity: Int, _ summary: String, since: String = "2.8.13",
                 _ handler: @escaping (CommandContext) -> Void) {
            l.addSubcommand(CommandSpec(name, arity: arity, flags: [.admin, .noscript, .loading, .stale], acl: [],
                                        group: "server", since: since, summary: summary, handler: handler))
        }
        sub("latest", 2, "Return the latest latency samples for all events", latest)
        sub("history", 3, "Return timestamp-latency samples for an event", history)
        sub("reset", -2, "Reset latency data for one or more events") { ctx in
            ctx.out.integer(ctx.latencyMonitor.reset(ctx.args.dropFirst(2).map { $0.string }))
        }
        sub("histogram", -2, "Return the cumulative distribution of latencies of a subset of commands or all",
            since: "7.0.0", histogram)
        sub("doctor", 2, "Return a human readable latency analysis report", doctor)
        sub("graph", 3, "Return a latency graph for the event", graph)
        l.addHelp(acl: [], since: "2.8.13", [
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ])
        return [l]
    }()

    /// Each event: its name, the time and latency of its last sample, its worst ever.
    static func latest(_ ctx: CommandContext) {
        let events = ctx.latencyMonitor.events.sorted { $0.key < $1.key }
        ctx.out.arrayHeader(events.count)
        for (name, series) in events {
            let last = series.samples.last!
            ctx.out.arrayHeader(4)
            ctx.out.bulk(name)
            ctx.out.integer(last.unixSeconds)
            ctx.out.integer(last.milliseconds)
            ctx.out.integer(series.max)
        }
    }

    static func history(_ ctx: CommandContext) {
        let samples = ctx.latencyMonitor.events[ctx.args[2].string]?.samples ?? []
        ctx.out.arrayHeader(samples.count)
        for s in samples {
            ctx.out.arrayHeader(2)
            ctx.out.integer(s.unixSeconds)
            ctx.out.integer(s.milliseconds)
        }
    }

    /// The commands named (a container stands for its subcommands; unknown names are
    /// skipped), or every command called since the last reset: calls and cumulative
    /// counts by powers of two of microseconds.
    static func histogram(_ ctx: CommandContext) {
        var specs: [CommandSpec] = []
        func add(_ spec: CommandSpec) {
            if spec.subcommands.isEmpty {
                if spec.stats.latency.total > 0 && !specs.contains(where: { $0 === spec }) { specs.append(spec) }
            } else {
                for s in spec.subcommands.values.sorted(by: { $0.name < $1.name }) { add(s) }
            }
        }
        if ctx.args.count == 2 {
            for spec in ctx.table.sorted { add(spec) }
        } else {
            for name in ctx.args.dropFirst(2) {
                let parts = name.lowercased.string.split(separator: "|", maxSplits: 1).map(String.init)
                guard let top = ctx.table.lookup(Bytes(parts[0])) else { continue }
                if parts.count == 2 {
                    if let s = top.subcommands[Bytes(parts[1])] { add(s) }
                } else {
                    add(top)
                }
            }
        }
        ctx.out.mapHeader(specs.count)
        for spec in specs {
            ctx.out.bulk(spec.fullName)
            ctx.out.mapHeader(2)
            ctx.out.bulk("calls")
            ctx.out.integer(Int(spec.stats.latency.total))
            ctx.out.bulk("histogram_usec")
            let steps = spec.stats.latency.cumulativeMicroseconds
            ctx.out.mapHeader(steps.count)
            for (micros, count) in steps {
                ctx.out.integer(micros)
                ctx.out.integer(count)
            }
        }
    }

    /// Per event: spikes, their average and mean deviation, how often, the worst ever
    /// (the figures Redis's report gives), then what to look at.
    static func doctor(_ ctx: CommandContext) {
        let monitor = ctx.latencyMonitor
        var report: String
        if ctx.settings.latencyMonitorThresholdMs == 0 && monitor.events.isEmpty {
            report = "Latency monitoring is disabled. Enable it with CONFIG SET latency-monitor-threshold <milliseconds>.\n"
        } else if monitor.events.isEmpty {
            report = "No latency spike was observed since the latency monitor was enabled or reset.\n"
        } else {
            report = "Latency spikes observed:\n\n"
            let now = Clock.unixMilliseconds() / 1000
            for (n, (name, series)) in monitor.events.sorted(by: { $0.key < $1.key }).enumerated() {
                let values = series.samples.map(\.milliseconds)
                let average = values.reduce(0, +) / Int64(values.count)
                let deviation = values.map { abs($0 - average) }.reduce(0, +) / Int64(values.count)
                let period = max(1, now - series.samples.map(\.unixSeconds).min()!)
                let hundredths = Int((Double(period) / Double(values.count) * 100).rounded())
                let cents = hundredths % 100
                let every = "\(hundredths / 100)." + (cents < 10 ? "0" : "") + String(cents)
                report += "\(n + 1). \(name): \(values.count) latency spikes (average \(average)ms, "
                report += "mean deviation \(deviation)ms, period \(every) sec). Worst all time event \(series.max)ms.\n"
            }
            report += "\nWhat to look at:\n\n"
            if monitor.events.keys.contains(where: { $0.hasSuffix("command") }) {
                report += "- SLOWLOG GET shows the commands that ran longest and their arguments.\n"
            }
            if monitor.events.keys.contains("expire-cycle") {
                report += "- Keys expiring in large numbers at once, or large keys expiring, make the expiry cycle long.\n"
            }
            if monitor.events.keys.contains(where: { $0.hasPrefix("aof") }) {
                report += "- The log's fsyncs were slow: the disk is busy or slow; appendfsync everysec trades the last second for speed.\n"
            }
            if monitor.events.keys.contains("fork") {
                report += "- Forking for a snapshot took long: a large dataset, or a machine that copies page tables slowly.\n"
            }
        }
        ctx.out.verbatim(report)
    }

    /// A chart of the event's samples, oldest left: one column each, four rows high,
    /// scaled between the lowest and the highest, and how long ago each was below.
    static func graph(_ ctx: CommandContext) {
        let name = ctx.args[2].string
        guard let series = ctx.latencyMonitor.events[name] else {
            ctx.out.error("ERR No samples available for event '\(name)'")
            return
        }
        let values = series.samples.map(\.milliseconds)
        let high = values.max()!, low = values.min()!
        var text = "\(name) - high \(high) ms, low \(low) ms (all time high \(series.max) ms)\n"
        text += String(repeating: "-", count: 80) + "\n"
        let rows = 4
        for row in stride(from: rows, through: 1, by: -1) {
            text += String(values.map { v -> Character in
                let level = high == low ? rows : Int((Double(v - low) / Double(high - low) * Double(rows - 1)).rounded()) + 1
                return level >= row ? (level == row ? "_" : "|") : " "
            }) + "\n"
        }
        let now = Clock.unixMilliseconds() / 1000
        text += series.samples.map { s -> String in
            let ago = now - s.unixSeconds
            return ago < 60 ? "\(ago)s" : ago < 3600 ? "\(ago / 60)m" : "\(ago / 3600)h"
        }.joined(separator: " ") + "\n"
        ctx.out.verbatim(text)
    }
}
