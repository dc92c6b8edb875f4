import CairnCore
import CairnStore

/// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms, with
/// Redis's arguments, checks and replies (georadiusGeneric). The places are read from the
/// geohash cells Redis reads (`cells`, GeoCells.swift), so unsorted replies and COUNT ANY
/// come out as Redis's.
enum GeoSearch {
    static func storeSpecs(from index: Int) -> [KeySpec] {
        [.at(1, [.ro, .access]),
         KeySpec([.ow, .update], .keyword("STORE", from: index), .range(last: 0, step: 1, limit: 0)),
         KeySpec([.ow, .update], .keyword("STOREDIST", from: index), .range(last: 0, step: 1, limit: 0))]
    }

    static let specs: [CommandSpec] = [
        CommandSpec("georadius", arity: -6, flags: [.write, .denyoom], keys: storeSpecs(from: 6), keyFinder: radiusKeys,
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point") { ctx in
            search(ctx, .coordinates, store: true)
        },
        CommandSpec("georadius_ro", arity: -6, flags: [.readonly], keys: [.at(1, [.ro, .access])], acl: [.geo], group: "geo",
                    since: "3.2.10", summary: "A read-only variant for GEORADIUS") { ctx in
            search(ctx, .coordinates, store: false)
        },
        CommandSpec("georadiusbymember", arity: -5, flags: [.write, .denyoom], keys: storeSpecs(from: 5), keyFinder: radiusKeys,
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member") { ctx in
            search(ctx, .member, store: true)
        },
        CommandSpec("georadiusbymember_ro", arity: -5, flags: [.readonly], keys: [.at(1, [.ro, .access])], acl: [.geo],
                    group: "geo", since: "3.2.10", summary: "A read-only variant for GEORADIUSBYMEMBER") { ctx in
            search(ctx, .member, store: false)
        },
        CommandSpec("geosearch", arity: -7, flags: [.readonly], keys: [.at(1, [.ro, .access])], acl: [.geo], group: "geo",
                    since: "6.2.0", summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.") { ctx in
            search(ctx, .search, store: false)
        },
        CommandSpec("geosearchstore", arity: -8, flags: [.write, .denyoom], keys: [.at(1, [.ow, .update]), .at(2, [.ro, .access])],
                    acl: [.geo], group: "geo", since: "6.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.") { ctx in
            search(ctx, .searchStore, store: true)
        },
    ]

    /// Redis's georadiusGetKeys: the source, and the destination of the last STORE or
    /// STOREDIST from argument 5 on.
    static func radiusKeys(_ args: [Bytes]) -> [KeyReference] {
        guard args.count > 1 else { return [] }
        var stored: Int?
        var i = 5
        while i < args.count {
            let word = args[i].lowercased
            if (word == "store" || word == "storedist") && i + 1 < args.count {
                stored = i + 1
                i += 1
            }
            i += 1
        }
        var keys = [KeyReference(position: 1, flags: [.ro, .access])]
        if let stored { keys.append(KeyReference(position: stored, flags: [.ow, .update])) }
        return keys
    }

    enum Kind { case coordinates, member, search, searchStore }

    struct Shape {
        var center = (0.0, 0.0)
        var radius: Double?          // meters
        var box: (Double, Double)?   // width, height in meters
        var conversion = 1.0
    }

    struct Options {
        var withDist = false, withHash = false, withCoord = false, any = false
        var ascending: Bool?
        var count: Int64 = 0
        var storeKey: Bytes?
        var storeDist = false
        var fromMember = false, fromLonLat = false, byRadius = false, byBox = false
    }

    static func search(_ ctx: CommandContext, _ kind: Kind, store: Bool) {
        guard let found = ctx.readValue(ctx.args[kind == .searchStore ? 2 : 1], write: false, { $0.sortedSetValue }) else { return }
        var shape = Shape()
        var o = Options()
        var base: Int
        switch kind {
        case .coordinates:
            base = 6
            guard let center = lonLat(ctx, 2), let (r, conversion) = distance(ctx, 4) else { return }
            (shape.center, shape.radius, shape.conversion) = (center, r * conversion, conversion)
        case .member:
            base = 5
            if let z = found {
                guard let score = z.score(ctx.args[2]) else { ctx.out.error("ERR could not decode requested zset member"); return }
                shape.center = Geohash.decode(UInt64(score))
                guard let (r, conversion) = distance(ctx, 3) else { return }
                (shape.radius, shape.conversion) = (r * conversion, conversion)
            }
        case .search:
            base = 2
        case .searchStore:
            base = 3
            o.storeKey = ctx.args[1]
        }
        guard parseOptions(ctx, kind, store: store, base: base, found, &shape, &o) else { return }
        guard checkOptions(ctx, kind, o) else { return }
        guard let z = found else {
            if let dst = o.storeKey {
                if ctx.storeResult(dst, nil, event: "del", .generic) { ctx.dirty += 1 }
                ctx.out.integer(0)
            } else {
                ctx.out.arrayHeader(0)
            }
            return
        }
        if o.count != 0 && o.ascending == nil && !o.any { o.ascending = true }
        var points = places(in: z, shape, limit: o.any ? Int(o.count) : 0)
        let returned = o.count == 0 ? points.count : min(points.count, Int(o.count))
        if let ascending = o.ascending { points = sorted(points, ascending: ascending, keeping: returned) }
        if let dst = o.storeKey {
            var result: SortedSetValue?
            if returned > 0 {
                let built = SortedSetValue()
                for p in points.prefix(returned) {
                    _ = SortedSetCommands.set(ctx, built, p.member, o.storeDist ? p.dist / shape.conversion : p.score)
                }
                result = built
            }
            let event: StaticString = kind == .searchStore ? "geosearchstore" : "georadiusstore"
            if ctx.storeResult(dst, result.map { .zset($0) }, event: event, .zset) { ctx.dirty += max(1, returned) }
            ctx.out.integer(returned)
            return
        }
        let extras = (o.withDist ? 1 : 0) + (o.withHash ? 1 : 0) + (o.withCoord ? 1 : 0)
        ctx.out.arrayHeader(returned)
        for p in points.prefix(returned) {
            if extras > 0 { ctx.out.arrayHeader(extras + 1) }
            ctx.out.bulk(p.member)
            if o.withDist { ctx.out.bulk(formatFixedPoint(p.dist / shape.conversion, decimals: 4)) }
            if o.withHash { ctx.out.integer(Int64(p.score)) }
            if o.withCoord {
                ctx.out.arrayHeader(2)
                GeoCommands.humanLongDouble(ctx, Float80(p.place.0))
                GeoCommands.humanLongDouble(ctx, Float80(p.place.1))
            }
        }
    }

    /// A place found: its member, score, position and distance from the center.
    struct Place {
        let member: Bytes
        let score: Double
        let place: (Double, Double)
        let dist: Double
    }

    /// The places inside the shape, read cell by cell (`cells`), each cell's in score
    /// order; at most `limit` (COUNT ANY) unless it is 0.
    static func places(in z: SortedSetValue, _ shape: Shape, limit: Int) -> [Place] {
        var found: [Place] = []
        for cell in cells(shape) {
            if limit > 0 && found.count >= limit { break }
            let (low, high) = cell.scores
            z.walk(from: z.firstRank { score, _ in score >= low }, reverse: false) { score, member in
                guard score < high else { return false }
                let place = Geohash.decode(UInt64(score))
                guard let d = within(shape, place) else { return true }
                found.append(Place(member: member, score: score, place: place, dist: d))
                return limit == 0 || found.count < limit
            }
        }
        return found
    }

    /// The first `count` places by distance (ties in the order found): the distances and
    /// positions are sorted, not the places, whose members would be retained at every move.
    static func sorted(_ points: [Place], ascending: Bool, keeping count: Int) -> [Place] {
        var order = points.indices.map { (dist: points[$0].dist, index: $0) }
        order.sort { a, b in
            if a.dist != b.dist { return ascending ? a.dist < b.dist : a.dist > b.dist }
            return a.index < b.index
        }
        return order.prefix(count).map { points[$0.index] }
    }

    /// The distance from the center when `place` is inside the shape (Redis's
    /// geohashGetDistanceIfInRadius and ...InRectangle).
    static func within(_ shape: Shape, _ place: (Double, Double)) -> Double? {
        if let radius = shape.radius {
            let d = Geohash.distance(shape.center, place)
            return d > radius ? nil : d
        }
        guard let (width, height) = shape.box else { return nil }
        let latDistance = Geohash.distance((0, place.1), (0, shape.center.1))
        if latDistance > height / 2 { return nil }
        let lonDistance = Geohash.distance(place, (shape.center.0, place.1))
        if lonDistance > width / 2 { return nil }
        return Geohash.distance(shape.center, place)
    }

    static func parseOptions(_ ctx: CommandContext, _ kind: Kind, store: Bool, base: Int, _ found: SortedSetValue?,
                             _ shape: inout Shape, _ o: inout Options) -> Bool {
        let searching = kind == .search || kind == .searchStore
        let remaining = ctx.args.count - base
        var i = 0
        while i < remaining {
            let j = base + i
            if ctx.isOption(j, "withdist") { o.withDist = true }
            else if ctx.isOption(j, "withhash") { o.withHash = true }
            else if ctx.isOption(j, "withcoord") { o.withCoord = true }
            else if ctx.isOption(j, "any") { o.any = true }
            else if ctx.isOption(j, "asc") { o.ascending = true }
            else if ctx.isOption(j, "desc") { o.ascending = false }
            else if ctx.isOption(j, "count") && i + 1 < remaining {
                guard let n = ctx.int64Arg(j + 1) else { return false }
                guard n > 0 else { ctx.out.error("ERR COUNT must be > 0"); return false }
                o.count = n
                i += 1
            } else if (ctx.isOption(j, "store") || ctx.isOption(j, "storedist")) && i + 1 < remaining && store && !searching {
                o.storeKey = ctx.args[j + 1]
                o.storeDist = ctx.isOption(j, "storedist")
                i += 1
            } else if ctx.isOption(j, "storedist") && kind == .searchStore {
                o.storeDist = true
            } else if ctx.isOption(j, "frommember") && i + 1 < remaining && searching && !o.fromLonLat {
                if let z = found {
                    guard let score = z.score(ctx.args[j + 1]) else { ctx.out.error("ERR could not decode requested zset member"); return false }
                    shape.center = Geohash.decode(UInt64(score))
                }
                o.fromMember = true
                i += 1
            } else if ctx.isOption(j, "fromlonlat") && i + 2 < remaining && searching && !o.fromMember {
                guard let center = lonLat(ctx, j + 1) else { return false }
                shape.center = center
                o.fromLonLat = true
                i += 2
            } else if ctx.isOption(j, "byradius") && i + 2 < remaining && searching && !o.byBox {
                guard let (r, conversion) = distance(ctx, j + 1) else { return false }
                (shape.radius, shape.conversion) = (r * conversion, conversion)
                o.byRadius = true
                i += 2
            } else if ctx.isOption(j, "bybox") && i + 3 < remaining && searching && !o.byRadius {
                guard let (w, h, conversion) = box(ctx, j + 1) else { return false }
                (shape.box, shape.conversion) = ((w * conversion, h * conversion), conversion)
                o.byBox = true
                i += 3
            } else {
                ctx.syntaxError()
                return false
            }
            i += 1
        }
        return true
    }

    static func checkOptions(_ ctx: CommandContext, _ kind: Kind, _ o: Options) -> Bool {
        let name = ctx.args[0].string
        if o.storeKey != nil && (o.withDist || o.withHash || o.withCoord) {
            ctx.out.error("ERR \(kind == .searchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
            return false
        }
        let searching = kind == .search || kind == .searchStore
        if searching && !(o.fromMember || o.fromLonLat) {
            ctx.out.error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(name)")
            return false
        }
        if searching && !(o.byRadius || o.byBox) {
            ctx.out.error("ERR exactly one of BYRADIUS and BYBOX can be specified for \(name)")
            return false
        }
        if o.any && o.count == 0 {
            ctx.out.error("ERR the ANY argument requires COUNT argument")
            return false
        }
        return true
    }

    static func lonLat(_ ctx: CommandContext, _ i: Int) -> (Double, Double)? {
        guard let lon = ctx.args[i].double, let lat = ctx.args[i + 1].double else { ctx.out.error(Reply.notFloat); return nil }
        guard Geohash.encode(longitude: lon, latitude: lat) != nil else {
            ctx.out.error("ERR invalid longitude,latitude pair " + formatC("%f,%f", lon, lat))
            return nil
        }
        return (lon, lat)
    }

    static func unit(_ ctx: CommandContext, _ i: Int) -> Double? {
        guard let u = GeoCommands.unitToMeters(ctx.args[i]) else {
            ctx.out.error("ERR unsupported unit provided. please use M, KM, FT, MI")
            return nil
        }
        return u
    }

    static func distance(_ ctx: CommandContext, _ i: Int) -> (Double, Double)? {
        guard let r = ctx.args[i].double else { ctx.out.error("ERR need numeric radius"); return nil }
        guard r >= 0 else { ctx.out.error("ERR radius cannot be negative"); return nil }
        guard let u = unit(ctx, i + 1) else { return nil }
        return (r, u)
    }

    static func box(_ ctx: CommandContext, _ i: Int) -> (Double, Double, Double)? {
        guard let w = ctx.args[i].double else { ctx.out.error("ERR need numeric width"); return nil }
        guard let h = ctx.args[i + 1].double else { ctx.out.error("ERR need numeric height"); return nil }
        guard w >= 0 && h >= 0 else { ctx.out.error("ERR height or width cannot be negative"); return nil }
        guard let u = unit(ctx, i + 2) else { return nil }
        return (w, h, u)
    }
}
