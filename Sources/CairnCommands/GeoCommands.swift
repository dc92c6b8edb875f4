import CairnCore
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

/// GEOADD, GEOPOS, GEODIST and GEOHASH: places as members of a sorted set whose score is
/// Redis's 52-bit interleaved geohash, so that scores are Redis's bit for bit (geo.c,
/// geohash.c).
enum GeoCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("geoadd", arity: -5, flags: [.write, .denyoom], keys: [.at(1, [.rw, .update])],
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
                    handler: geoadd),
        CommandSpec("geopos", arity: -2, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Returns longitude and latitude of members of a geospatial index", handler: geopos),
        CommandSpec("geodist", arity: -4, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Returns the distance between two members of a geospatial index", handler: geodist),
        CommandSpec("geohash", arity: -2, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.geo], group: "geo", since: "3.2.0",
                    summary: "Returns members of a geospatial index as standard geohash strings", handler: geohash),
    ]

    /// GEOADD is ZADD of the places' scores, run as a nested ZADD, as Redis rewrites it.
    static func geoadd(_ ctx: CommandContext) {
        var i = 2
        var options: [Bytes] = []
        var nx = false, xx = false
        while i < ctx.args.count {
            if ctx.isOption(i, "nx") { nx = true } else if ctx.isOption(i, "xx") { xx = true } else if !ctx.isOption(i, "ch") { break }
            options.append(ctx.args[i])
            i += 1
        }
        if (ctx.args.count - i) % 3 != 0 || (nx && xx) { ctx.syntaxError(); return }
        var zaddArgs: [Bytes] = ["ZADD", ctx.args[1]] + options
        while i < ctx.args.count {
            guard let lon = ctx.args[i].double, let lat = ctx.args[i + 1].double else {
                ctx.out.error(Reply.notFloat)
                return
            }
            guard let bits = Geohash.encode(longitude: lon, latitude: lat) else {
                ctx.out.error("ERR invalid longitude,latitude pair " + formatC("%f,%f", lon, lat))
                return
            }
            // The score as an integer string, as Redis hands it to ZADD (and propagates it).
            zaddArgs += [Bytes(Int64(bits)), ctx.args[i + 2]]
            i += 3
        }
        ctx.runInPlace(ctx.table.lookup("zadd")!, zaddArgs)
    }

    /// The places of `members` ([lon, lat], nil for a missing one); nil after WRONGTYPE.
    static func positions(_ ctx: CommandContext, _ members: ArraySlice<Bytes>) -> [(Double, Double)?]? {
        guard let found = ctx.readValue(ctx.args[1], write: false, { $0.sortedSetValue }) else { return nil }
        return members.map { m in found?.score(m).map { Geohash.decode(UInt64($0)) } }
    }

    static func geopos(_ ctx: CommandContext) {
        guard let places = positions(ctx, ctx.args[2...]) else { return }
        ctx.out.arrayHeader(places.count)
        for place in places {
            guard let (lon, lat) = place else { ctx.out.nullArray(); continue }
            ctx.out.arrayHeader(2)
            humanLongDouble(ctx, Float80(lon))
            humanLongDouble(ctx, Float80(lat))
        }
    }

    /// Redis's addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3.
    static func humanLongDouble(_ ctx: CommandContext, _ v: Float80) {
        let text = formatLongDoubleHuman(v) ?? "0"
        if ctx.out.isRESP3 {
            ctx.out.buffer.writeString(",\(text.string)\r\n")
        } else {
            ctx.out.bulk(text)
        }
    }

    static func geodist(_ ctx: CommandContext) {
        var toMeters = 1.0
        if ctx.args.count == 5 {
            guard let unit = unitToMeters(ctx.args[4]) else {
                ctx.out.error("ERR unsupported unit provided. please use M, KM, FT, MI")
                return
            }
            toMeters = unit
        } else if ctx.args.count > 5 {
            ctx.syntaxError()
            return
        }
        guard let places = positions(ctx, ctx.args[2...3]) else { return }
        guard let a = places[0], let b = places[1] else { ctx.out.null(); return }
        ctx.out.bulk(formatFixedPoint(Geohash.distance(a, b) / toMeters, decimals: 4))
    }

    static func unitToMeters(_ unit: Bytes) -> Double? {
        if unit.equalsLowercased("m") { return 1 }
        if unit.equalsLowercased("km") { return 1000 }
        if unit.equalsLowercased("ft") { return 0.3048 }
        if unit.equalsLowercased("mi") { return 1609.34 }
        return nil
    }

    static func geohash(_ ctx: CommandContext) {
        guard let places = positions(ctx, ctx.args[2...]) else { return }
        ctx.out.arrayHeader(places.count)
        for place in places {
            guard let (lon, lat) = place else { ctx.out.null(); continue }
            ctx.out.bulk(Geohash.standardString(longitude: lon, latitude: lat))
        }
    }
}

/// Redis's geohash: 26 steps of longitude and latitude interleaved into 52 bits, latitude
/// limited to the Web Mercator range.
enum Geohash {
    static let latitudeMin = -85.05112878, latitudeMax = 85.05112878
    static let longitudeMin = -180.0, longitudeMax = 180.0
    static let steps = 26
    static let earthRadiusMeters = 6372797.560856

    /// The 52-bit hash of a place; nil outside the range Redis accepts.
    static func encode(longitude: Double, latitude: Double) -> UInt64? {
        guard longitude >= longitudeMin, longitude <= longitudeMax, latitude >= latitudeMin, latitude <= latitudeMax else { return nil }
        return encode(longitude, latitude, longitudeRange: (longitudeMin, longitudeMax), latitudeRange: (latitudeMin, latitudeMax))
    }

    /// The hash of a place at `step` bits per coordinate (26 for scores; fewer for the
    /// cells a search reads).
    static func encode(_ longitude: Double, _ latitude: Double, longitudeRange: (Double, Double),
                       latitudeRange: (Double, Double), step: Int = steps) -> UInt64 {
        let scale = Double(UInt64(1) << UInt64(step))
        let latOffset = (latitude - latitudeRange.0) / (latitudeRange.1 - latitudeRange.0) * scale
        let lonOffset = (longitude - longitudeRange.0) / (longitudeRange.1 - longitudeRange.0) * scale
        return interleave(UInt32(truncatingIfNeeded: UInt64(latOffset)), UInt32(truncatingIfNeeded: UInt64(lonOffset)))
    }

    /// `x`'s bits at the even positions, `y`'s at the odd ones.
    static func interleave(_ x: UInt32, _ y: UInt32) -> UInt64 {
        func spread(_ v: UInt32) -> UInt64 {
            var r = UInt64(v)
            r = (r | r << 16) & 0x0000_ffff_0000_ffff
            r = (r | r << 8) & 0x00ff_00ff_00ff_00ff
            r = (r | r << 4) & 0x0f0f_0f0f_0f0f_0f0f
            r = (r | r << 2) & 0x3333_3333_3333_3333
            return (r | r << 1) & 0x5555_5555_5555_5555
        }
        return spread(x) | (spread(y) << 1)
    }

    static func deinterleave(_ bits: UInt64) -> (x: UInt32, y: UInt32) {
        func gather(_ v: UInt64) -> UInt32 {
            var r = v & 0x5555_5555_5555_5555
            r = (r | r >> 1) & 0x3333_3333_3333_3333
            r = (r | r >> 2) & 0x0f0f_0f0f_0f0f_0f0f
            r = (r | r >> 4) & 0x00ff_00ff_00ff_00ff
            r = (r | r >> 8) & 0x0000_ffff_0000_ffff
            return UInt32(truncatingIfNeeded: r | r >> 16)
        }
        return (gather(bits), gather(bits >> 1))
    }

    /// The center of the hash's cell, clamped to the valid range, as Redis decodes a score.
    static func decode(_ bits: UInt64) -> (Double, Double) {
        let a = GeoCell(bits: bits, step: steps).area
        let lon = min(max((a.lonMin + a.lonMax) / 2, longitudeMin), longitudeMax)
        let lat = min(max((a.latMin + a.latMax) / 2, latitudeMin), latitudeMax)
        return (lon, lat)
    }

    /// Redis's haversine, with its shortcut when the longitudes are the same.
    static func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let radians = Double.pi / 180.0
        let lon1 = a.0 * radians, lon2 = b.0 * radians
        let v = sin((lon2 - lon1) / 2)
        if v == 0 { return earthRadiusMeters * abs(b.1 * radians - a.1 * radians) }
        let lat1 = a.1 * radians, lat2 = b.1 * radians
        let u = sin((lat2 - lat1) / 2)
        return 2.0 * earthRadiusMeters * asin(sqrt(u * u + cos(lat1) * cos(lat2) * v * v))
    }

    /// The 11-character geohash of the standard range (latitude -90..90), as GEOHASH gives
    /// it (the 11th character is for bits a 52-bit hash does not have: always "0").
    static func standardString(longitude: Double, latitude: Double) -> String {
        let bits = encode(longitude, latitude, longitudeRange: (-180, 180), latitudeRange: (-90, 90))
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz")
        var s = ""
        for i in 0..<11 {
            let index = i == 10 ? 0 : Int((bits >> UInt64(52 - (i + 1) * 5)) & 0x1f)
            s.append(alphabet[index])
        }
        return s
    }
}

/// C's printf formatting (Redis formats distances and coordinates with it).
func formatC(_ format: String, _ args: CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    _ = withVaList(args) { vsnprintf(&buffer, buffer.count, format, $0) }
    return String(cString: buffer)
}
