import Foundation

/// Runs `executable` with `arguments` (and `environment` in place of the tests' own, when
/// given) to completion; its exit status and its standard output and standard error together.
public func runToExit(_ executable: String, _ arguments: [String],
                      environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    // Read before waiting, so a child with more output than the pipe holds cannot stall.
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs the `cairn` tool (beside the cairn-server the tests run) to its exit.
public func cairnTool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runToExit(URL(fileURLWithPath: cairnServerBinary()).deletingLastPathComponent().appendingPathComponent("cairn").path,
                  arguments)
}
