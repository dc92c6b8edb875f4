import Glibc

/// The geohash cells a geo search reads, as Redis chooses them
/// (geohashCalculateAreasByShapeWGS84): the center's cell at a precision fitted to the
/// radius, and its eight neighbours, less those wholly outside the shape's bounding box.
/// Each cell is one range of sorted-set scores, so a search reads those ranges only, in
/// Redis's order (which is the order of unsorted replies and of COUNT ANY).
struct GeoCell: Equatable {
    var bits: UInt64
    var step: Int

    /// A cell Redis has struck out (its GZERO).
    static let none = GeoCell(bits: 0, step: 0)

    /// The scores of the places inside: [min, max).
    var scores: (min: Double, max: Double) {
        let shift = UInt64(52 - step * 2)
        return (Double(bits << shift), Double((bits + 1) << shift))
    }

    init(bits: UInt64, step: Int) {
        self.bits = bits
        self.step = step
    }

    /// The cell holding a place at `step` bits of precision per coordinate.
    init(longitude: Double, latitude: Double, step: Int) {
        self.init(bits: Geohash.encode(longitude, latitude, longitudeRange: (Geohash.longitudeMin, Geohash.longitudeMax),
                                       latitudeRange: (Geohash.latitudeMin, Geohash.latitudeMax), step: step), step: step)
    }

    /// The cell's corners: longitudes and latitudes.
    var area: (lonMin: Double, lonMax: Double, latMin: Double, latMax: Double) {
        let (ilat, ilon) = Geohash.deinterleave(bits)
        let scale = Double(UInt64(1) << UInt64(step))
        let latSpan = Geohash.latitudeMax - Geohash.latitudeMin, lonSpan = Geohash.longitudeMax - Geohash.longitudeMin
        return (Geohash.longitudeMin + (Double(ilon) / scale) * lonSpan,
                Geohash.longitudeMin + (Double(UInt64(ilon) + 1) / scale) * lonSpan,
                Geohash.latitudeMin + (Double(ilat) / scale) * latSpan,
                Geohash.latitudeMin + (Double(UInt64(ilat) + 1) / scale) * latSpan)
    }

    /// The neighbouring cell `dx` east and `dy` north, wrapping as Redis's bit moves do.
    func moved(dx: Int, dy: Int) -> GeoCell {
        let odd: UInt64 = 0xaaaa_aaaa_aaaa_aaaa, even: UInt64 = 0x5555_5555_5555_5555
        let width = UInt64(64 - step * 2)
        func move(_ part: UInt64, _ fill: UInt64, _ keep: UInt64, _ d: Int) -> UInt64 {
            if d == 0 { return part }
            let zz = fill >> width
            let moved = d > 0 ? part &+ (zz &+ 1) : (part | zz) &- (zz &+ 1)
            return moved & (keep >> width)
        }
        let x = move(bits & odd, even, odd, dx)
        let y = move(bits & even, odd, even, dy)
        return GeoCell(bits: x | y, step: step)
    }
}

extension GeoSearch {
    /// The cells to read for `shape`, in the order Redis reads them, struck-out cells and
    /// repeats of the one before left out.
    static func cells(_ shape: Shape) -> [GeoCell] {
        let (lon, lat) = shape.center
        let bounds = boundingBox(shape)
        let radius = shape.radius ?? shape.box.map { ($0.0 / 2 * $0.0 / 2 + $0.1 / 2 * $0.1 / 2).squareRoot() } ?? 0
        var step = estimatedStep(radiusMeters: radius, latitude: lat)
        var center = GeoCell(longitude: lon, latitude: lat, step: step)
        let reaches = [center.moved(dx: 0, dy: 1).area.latMax >= bounds.latMax, center.moved(dx: 0, dy: -1).area.latMin <= bounds.latMin,
                       center.moved(dx: 1, dy: 0).area.lonMax >= bounds.lonMax, center.moved(dx: -1, dy: 0).area.lonMin <= bounds.lonMin]
        if step > 1 && reaches.contains(false) {
            step -= 1
            center = GeoCell(longitude: lon, latitude: lat, step: step)
        }
        // North, south, east, west, then the corners, as membersOfAllNeighbors lists them.
        let moves = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]
        var around = moves.map { center.moved(dx: $0.0, dy: $0.1) }
        if step >= 2 {
            let a = center.area
            for (i, m) in moves.enumerated() {
                if (m.1 < 0 && a.latMin < bounds.latMin) || (m.1 > 0 && a.latMax > bounds.latMax)
                    || (m.0 < 0 && a.lonMin < bounds.lonMin) || (m.0 > 0 && a.lonMax > bounds.lonMax) {
                    around[i] = .none
                }
            }
        }
        // Huge radii make neighbours repeat: a cell equal to the last neighbour read is
        // skipped (the center is not compared, as in Redis).
        var result = [center]
        var last: GeoCell?
        for cell in around where cell != .none && cell != last {
            result.append(cell)
            last = cell
        }
        return result
    }

    /// Redis's geohashEstimateStepsByRadius: the coarsest precision whose cells still
    /// cover the radius, coarser near the poles.
    static func estimatedStep(radiusMeters: Double, latitude: Double) -> Int {
        if radiusMeters == 0 { return 26 }
        var range = radiusMeters, step = 1
        while range < 20037726.37 {
            range *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return min(max(step, 1), 26)
    }

    /// Redis's geohashBoundingBox: the shape's extent in degrees.
    static func boundingBox(_ shape: Shape) -> (lonMin: Double, lonMax: Double, latMin: Double, latMax: Double) {
        let (lon, lat) = shape.center
        let height = shape.radius ?? (shape.box.map { $0.1 / 2 } ?? 0)
        let width = shape.radius ?? (shape.box.map { $0.0 / 2 } ?? 0)
        let perDegree = Double.pi / 180.0  // Redis's D_R: degrees times it, radians over it
        let latDelta = height / Geohash.earthRadiusMeters / perDegree
        let lonDeltaTop = width / Geohash.earthRadiusMeters / cos((lat + latDelta) * perDegree) / perDegree
        let lonDeltaBottom = width / Geohash.earthRadiusMeters / cos((lat - latDelta) * perDegree) / perDegree
        let lonDelta = lat < 0 ? lonDeltaBottom : lonDeltaTop
        return (lon - lonDelta, lon + lonDelta, lat - latDelta, lat + latDelta)
    }
}
