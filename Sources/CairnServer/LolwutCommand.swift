import CairnCommands
import CairnCore
import Foundation

/// LOLWUT [VERSION v] [arguments]: Redis's computer art. Version 5 draws Georg Nees's
/// "Schotter" in Braille characters (rows of squares that tumble more the lower they
/// are), version 6 a skyline in terminal colours, any other version only the server's
/// version line. It is in @read and @fast, so ACL descriptions that expand @read name it
/// as Redis's do.
enum LolwutCommand {
    static func spec() -> CommandSpec {
        CommandSpec("lolwut", arity: -1, flags: [.readonly, .fast], acl: [], group: "server", since: "5.0.0",
                    summary: "Display some computer art and the Redis version") { ctx in
            var args = Array(ctx.args.dropFirst())
            var version = UInt32(7)
            if args.count >= 2, args[0].lowercased == Bytes("version") {
                guard let v = ctx.int64Arg(2) else { return }
                // Redis prints the number as an unsigned 32-bit "%u.0.0" and looks at that.
                version = UInt32(truncatingIfNeeded: v)
                args.removeFirst(2)
            }
            let versionLine = "Redis ver. \(ConnectionCommands.redisVersion)\n"
            switch version {
            case 5:
                guard let n = integers(ctx, args, defaults: [66, 8, 12]) else { return }
                let art = Schotter.draw(columns: clamp(n[0], 1, 1000), squaresPerRow: clamp(n[1], 1, 200),
                                        squaresPerColumn: clamp(n[2], 1, 200))
                ctx.out.verbatim(art.renderBraille() + "\nGeorg Nees - schotter, plotter on paper, 1968. " + versionLine)
            case 6:
                guard let n = integers(ctx, args, defaults: [80, 20]) else { return }
                let art = Skyline.draw(columns: clamp(n[0], 1, 1000), rows: clamp(n[1], 1, 1000))
                ctx.out.verbatim(art.renderColours() + "Dedicated to the 8 bit game developers of past and present.\n"
                                 + "Original 8 bit image from Plaguemon by hikikomori. " + versionLine)
            default:
                ctx.out.verbatim(versionLine)
            }
        }
    }

    /// The optional integer arguments after the version, each defaulting; nil after an
    /// error reply.
    private static func integers(_ ctx: CommandContext, _ args: [Bytes], defaults: [Int]) -> [Int]? {
        var values = defaults
        for i in 0..<min(args.count, defaults.count) {
            guard let v = args[i].int64 else { ctx.out.error(Reply.notInteger); return nil }
            values[i] = Int(v)
        }
        return values
    }

    private static func clamp(_ v: Int, _ low: Int, _ high: Int) -> Int { min(max(v, low), high) }
}

/// A grid of small colour numbers (0 is the background of a Braille drawing).
struct LolwutCanvas {
    let width: Int, height: Int
    private(set) var pixels: [UInt8]

    init(width: Int, height: Int, fill: UInt8 = 0) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: fill, count: width * height)
    }

    subscript(x: Int, y: Int) -> UInt8 {
        get { x < 0 || y < 0 || x >= width || y >= height ? 0 : pixels[y * width + x] }
        set { if x >= 0 && y >= 0 && x < width && y < height { pixels[y * width + x] = newValue } }
    }

    /// Bresenham's line, both ends included.
    mutating func line(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int, colour: UInt8 = 1) {
        var (x, y) = (x1, y1)
        let dx = abs(x2 - x1), dy = abs(y2 - y1)
        let sx = x1 < x2 ? 1 : -1, sy = y1 < y2 ? 1 : -1
        var err = dx - dy
        while true {
            self[x, y] = colour
            if x == x2 && y == y2 { break }
            let e2 = err * 2
            if e2 > -dy { err -= dy; x += sx }
            if e2 < dx { err += dx; y += sy }
        }
    }

    /// Each 2x4 block of pixels as one Braille character (U+2800 and the dots set), a
    /// line per four rows of pixels.
    func renderBraille() -> String {
        // Dot numbering of a Braille cell: bit i is the dot at these (dx, dy).
        let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
        var text = String.UnicodeScalarView()
        for y in stride(from: 0, to: height, by: 4) {
            for x in stride(from: 0, to: width, by: 2) {
                var bits: UInt32 = 0
                for (i, d) in dots.enumerated() where self[x + d.0, y + d.1] != 0 { bits |= 1 << UInt32(i) }
                text.append(Unicode.Scalar(0x2800 + bits)!)
            }
            if y != height - 1 { text.append("\n") }
        }
        return String(text)
    }

    /// Each pixel as a space on an ANSI background: 0 black, 1 grey, 2 light grey, 3 white.
    func renderColours() -> String {
        let cells = ["\u{1b}[0;30;40m \u{1b}[0m", "\u{1b}[0;90;100m \u{1b}[0m", "\u{1b}[0;37;47m \u{1b}[0m", "\u{1b}[0;97;107m \u{1b}[0m"]
        var text = ""
        for y in 0..<height {
            for x in 0..<width { text += cells[Int(self[x, y] & 3)] }
            text += "\n"
        }
        return text
    }
}

/// Georg Nees's "Schotter" (1968): rows of squares, the first two straight, each lower
/// row turned and shifted at random by more.
enum Schotter {
    static func draw(columns: Int, squaresPerRow: Int, squaresPerColumn: Int) -> LolwutCanvas {
        let width = columns * 2
        let padding = width > 4 ? 2 : 0
        let side = Float(width - padding * 2) / Float(squaresPerRow)
        let height = Int(side * Float(squaresPerColumn) + Float(padding * 2))
        var canvas = LolwutCanvas(width: width, height: height)
        for row in 0..<squaresPerColumn {
            for column in 0..<squaresPerRow {
                var cx = Int(Float(column) * side + side / 2 + Float(padding))
                var cy = Int(Float(row) * side + side / 2 + Float(padding))
                var angle: Float = 0
                if row > 1 {
                    // Disorder grows with the row: up to row/rows of a radian and of a third of a side.
                    func jitter() -> Float {
                        Float.random(in: 0...1) / Float(squaresPerColumn) * Float(row) * (Bool.random() ? -1 : 1)
                    }
                    angle = jitter()
                    cx = Int(Float(cx) + jitter() * side / 3)
                    cy = Int(Float(cy) + jitter() * side / 3)
                }
                square(&canvas, cx, cy, side: side, angle: angle)
            }
        }
        return canvas
    }

    /// A square of diagonal `side` centred on (x, y), turned 45 degrees plus `angle`.
    private static func square(_ canvas: inout LolwutCanvas, _ x: Int, _ y: Int, side: Float, angle: Float) {
        // In Redis's float and double steps, so the corners land on the same pixels.
        let half = Double(Float(Double(side) / 1.4142135623).rounded())
        var k = Float(Double.pi / 4 + Double(angle))
        var corners: [(Int, Int)] = []
        for _ in 0..<4 {
            corners.append((Int((half * sin(Double(k)) + Double(x)).rounded()), Int((half * cos(Double(k)) + Double(y)).rounded())))
            k = Float(Double(k) + Double.pi / 2)
        }
        for j in 0..<4 {
            let (a, b) = (corners[j], corners[(j + 1) % 4])
            canvas.line(a.0, a.1, b.0, b.1)
        }
    }
}

/// A city at night in three layers of buildings, the farthest the lightest, with lit
/// windows on the nearest: a new one each call.
enum Skyline {
    static func draw(columns: Int, rows: Int) -> LolwutCanvas {
        var canvas = LolwutCanvas(width: columns, height: rows, fill: 3)
        // (colour, tallest as a share of the height, widest, the gap between buildings)
        let layers: [(UInt8, Double, Int, Int)] = [(2, 0.9, 12, 2), (1, 0.7, 10, 3), (0, 0.5, 8, 4)]
        for (colour, tallest, widest, gap) in layers {
            var x = Int.random(in: -widest...0)
            while x < columns {
                let w = Int.random(in: max(2, widest / 2)...widest)
                let h = Int.random(in: max(1, Int(Double(rows) * tallest / 3))...max(1, Int(Double(rows) * tallest)))
                building(&canvas, x: x, width: w, height: h, colour: colour)
                x += w + Int.random(in: 0...gap)
            }
        }
        return canvas
    }

    private static func building(_ canvas: inout LolwutCanvas, x: Int, width: Int, height: Int, colour: UInt8) {
        let top = canvas.height - height
        for y in top..<canvas.height {
            for dx in 0..<width {
                // The nearest buildings have windows: every other cell inside the walls, some lit.
                let window = colour == 0 && y > top && dx > 0 && dx < width - 1 && (y - top) % 2 == 0 && dx % 2 == 0
                canvas[x + dx, y] = window ? (Bool.random() ? 2 : 1) : colour
            }
        }
    }
}
