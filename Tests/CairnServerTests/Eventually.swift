import CairnTestSupport
import Foundation
import XCTest

extension XCTestCase {
    /// Polls until `condition` holds (20 s at most); fails the test otherwise, with the
    /// logs of `servers` (the replication tests' several processes).
    func eventually(_ what: String, showing servers: [ServerProcess], file: StaticString = #filePath, line: UInt = #line,
                    _ condition: () throws -> Bool) {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(20_000)
        }
        let logs = servers.map { "--- \($0.directory.lastPathComponent):\n\($0.log.suffix(3000))" }.joined(separator: "\n")
        XCTFail("never happened: \(what)\n\(logs)", file: file, line: line)
    }
}
