import CairnTestSupport
import Foundation
import XCTest

/// XREAD and XREADGROUP with BLOCK over real sockets, against redis-server side by side.
final class StreamBlockingTests: XCTestCase {
    func testBlockedReadersAreServedByXADD() throws {
        try ClientScript.compare("""
        A XADD s 1-1 a 1
        B> XREAD BLOCK 0 STREAMS s $
        C> XREAD BLOCK 0 STREAMS other s 0-0 $
        A XADD s 2-1 b 2
        B<
        C<
        B> XREAD BLOCK 0 COUNT 1 STREAMS s 2-1
        A XADD nope 1-1 x 1
        A XADD s 3-1 c 3 d 4
        B<
        ---
        B> XREAD BLOCK 0 STREAMS s1 s2 $ $
        A XADD s2 5-5 f v
        B<
        ---
        A XADD s2 1-1 old v
        B> XREAD BLOCK 0 STREAMS s2 s2 s2 $ $ $
        A XADD s2 2-2 new v
        B<
        C> XREAD BLOCK 0 STREAMS s1 s2 s3 $ $ $
        A MULTI
        A XADD s3 3-3 a 1
        A XADD s2 3-3 b 2
        A XADD s1 3-3 c 3
        A EXEC
        C<
        ---
        B> XREAD BLOCK 200 STREAMS s $
        sleep 0.4
        B<
        A XADD s 1-1 a 1
        B XREAD BLOCK 100 STREAMS s $
        """)
    }

    func testGroupReadersShareNewEntriesFirstComeFirstServed() throws {
        try ClientScript.compare("""
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        C> XREADGROUP GROUP g bob BLOCK 0 STREAMS s >
        A XADD s 1-1 a 1
        B<
        A XPENDING s g
        A XADD s 2-1 b 2 
        C<
        A XPENDING s g
        D> XREADGROUP GROUP g carol BLOCK 0 NOACK STREAMS s >
        A XADD s 3-1 c 3
        D<
        A XPENDING s g
        A XINFO GROUPS s
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 COUNT 2 STREAMS s >
        A MULTI
        A XADD s 1-1 a 1
        A XADD s 2-1 b 2
        A XADD s 3-1 c 3
        A EXEC
        B<
        A XPENDING s g
        A XREADGROUP GROUP g alice BLOCK 0 STREAMS s 0
        """)
    }

    func testBlockedGroupReaderLearnsItsKeyOrGroupIsGone() throws {
        try ClientScript.compare("""
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        A XGROUP DESTROY s g
        B<
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        A DEL s
        B<
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        A SET s notastream
        B<
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        A FLUSHALL
        B<
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        C> XREAD BLOCK 0 STREAMS s $
        A DEL s
        B<
        A XADD s 1-1 a 1
        C<
        ---
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 100 STREAMS s >
        sleep 0.3
        B<
        ---
        A CONFIG RESETSTAT
        A XGROUP CREATE s g $ MKSTREAM
        B> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        C> XREADGROUP GROUP g bob BLOCK 0 STREAMS s >
        A DEL s
        B<
        C<
        A INFO errorstats
        """)
    }
}
