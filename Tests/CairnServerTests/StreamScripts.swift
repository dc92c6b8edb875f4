/// Stream scripts for the differential tests: explicit IDs and delivery times, so that
/// nothing depends on the clock (idle times and seen times are left out).
extension DifferentialScripts {
    static let streams = """
    XADD s 1-1 a 1
    XADD s 1-1 a 2
    XADD s 1-0 a 2
    XADD s 0-0 a 1
    XADD s2 0-0 a 1
    EXISTS s2
    XADD s 1-2 a 2 b 3
    XADD s 2 c 4
    XADD s 2-* d 5
    XADD s 2-* d 6
    XADD s 3-* e 7
    XADD s 18446744073709551615-18446744073709551615 z z
    XADD s 5-1 a
    XADD s 5-1
    XADD s 5-1 a 1 b
    XADD s abc a 1
    XADD s 5-x a 1
    XADD s -5 a 1
    XADD s + a 1
    XADD s 5-1 a 1
    XADD s "  6" a 1
    XADD s 007-1 a 1
    XADD s 0000000000000000000000008-0000000000000000000000001 a 1
    XADD s 00000000000000000000009 a 1
    XADD s 0000000000000000000000000000000000000000000000000010-0 a 1
    XRANGE s 0007 00000000000000000000000000000000000000009-0000000000000000000000000000000000
    XRANGE s 18446744073709551615 +
    XRANGE s 018446744073709551615 +
    XRANGE s 18446744073709551616 +
    XLEN s
    XLEN missing
    XRANGE s - +
    XRANGE s - + COUNT 2
    XRANGE s - + COUNT 0
    XRANGE s - + COUNT -1
    XRANGE s - + COUNT abc
    XRANGE s - + LIMIT 2
    XRANGE s 2 2
    XRANGE s (1-1 (2-1
    XRANGE s (2 +
    XRANGE s (- +
    XRANGE s - (+
    XRANGE s (18446744073709551615-18446744073709551615 +
    XRANGE s - (0-0
    XRANGE s 3 1
    XRANGE missing - +
    XRANGE s x +
    XREVRANGE s + -
    XREVRANGE s + - COUNT 3
    XREVRANGE s 2-1 1-2
    XREVRANGE s (5 (1-1
    XREVRANGE s + - COUNT 0
    XDEL s 2-0 2-1 9-9
    XDEL s 2-0
    XDEL s abc
    XDEL s 1-1 + 
    XDEL missing 1-1
    XLEN s
    XRANGE s - +
    SET str x
    XADD str 1-1 a 1
    XLEN str
    XRANGE str - +
    XDEL str 1-1
    XTRIM str MAXLEN 1
    XADD n NOMKSTREAM 1-1 a 1
    EXISTS n
    XADD n NOMKSTREAM * a 1
    XADD t MAXLEN 2 1-1 a 1
    XADD t MAXLEN 2 2-1 a 1
    XADD t MAXLEN 2 3-1 a 1
    XADD t MAXLEN = 2 4-1 a 1
    XRANGE t - +
    XADD t MINID 4 5-1 a 1
    XRANGE t - +
    XADD t MINID = 5-1 6-1 a 1
    XADD t MAXLEN -1 7-1 a 1
    XADD t MAXLEN abc 7-1 a 1
    XADD t MINID abc 7-1 a 1
    XADD t MAXLEN 1 MINID 1 7-1 a 1
    XADD t MAXLEN 1 LIMIT 1 7-1 a 1
    XADD t LIMIT 1 7-1 a 1
    XADD t MAXLEN ~ 1 LIMIT -1 7-1 a 1
    XADD t MAXLEN ~ 1 LIMIT 1 7-1 a 1
    XADD t MAXLEN ~ 0 7-2 a 1
    XLEN t
    XADD t MAXLEN 0 8-1 a 1
    XLEN t
    XRANGE t - +
    XADD t MAXLEN
    XADD t MAXLEN 5
    XADD t BOGUS 9-1 a 1
    XTRIM t
    XTRIM t MAXLEN
    XTRIM t BOGUS 1
    XTRIM t MAXLEN 1 EXTRA
    XTRIM t MAXLEN 1 LIMIT 5
    XTRIM t LIMIT 5
    XTRIM t MAXLEN ~ 1 LIMIT 5
    XTRIM missing MAXLEN 1
    XADD u 1-1 a 1
    XADD u 2-1 a 1
    XADD u 3-1 a 1
    XADD u 4-1 a 1
    XTRIM u MAXLEN 2
    XRANGE u - +
    XTRIM u MINID 4
    XRANGE u - +
    XTRIM u MINID 4
    XTRIM u MAXLEN 0
    XLEN u
    EXISTS u
    XADD u 5-1 a 1
    XSETID u 4-0
    XSETID u 5-1
    XSETID u 9-9
    XADD u 9-9 a 1
    XADD u 9-* a 1
    XADD ovf 1-18446744073709551615 a 1
    XADD ovf 1-* b 2
    XADD ovf 18446744073709551615-18446744073709551615 c 3
    XADD ovf * d 4
    XADD ovf 18446744073709551615-* d 4
    XSETID missing 1-1
    XADD md 1-1 a 1
    XADD md 1-2 b 2
    XADD md 1-3 c 3
    XDEL md 1-2 1-3
    XSETID md 1-2
    XINFO STREAM md
    XSETID u 10-0 ENTRIESADDED 1
    XSETID u 10-0 ENTRIESADDED -1
    XSETID u 10-0 ENTRIESADDED abc
    XSETID u 10-0 MAXDELETEDID 11-0
    XSETID u 10-0 MAXDELETEDID 9-0 ENTRIESADDED 100
    XSETID u 10-0 BOGUS 1
    XSETID u + 
    XSETID u 9-0
    XADD u 10-0 a 1
    TYPE u
    OBJECT ENCODING u
    XADD
    XADD s
    XRANGE s
    XLEN
    XDEL s
    XADD big 1-1 f1 v1 f2 v2
    XADD big 1-2 f1 v3 f2 v4
    XADD big 1-3 f2 v1 f1 v2
    XADD big 1-4 f1 v1
    XADD big 1-5 f1 v1 f2 v2 f3 v3
    XRANGE big - +
    XREVRANGE big + -
    XDEL big 1-2 1-4
    XRANGE big - +
    XREAD STREAMS big 0
    XREAD COUNT 1 STREAMS big s 0 0
    XREAD STREAMS big s 1-3 18446744073709551615
    XREAD STREAMS big $
    XREAD STREAMS missing 0
    XREAD STREAMS big
    XREAD STREAMS big s 0
    XREAD COUNT STREAMS big 0
    XREAD COUNT -5 STREAMS big 0
    XREAD BLOCK abc STREAMS big 0
    XREAD BLOCK -1 STREAMS big 0
    XREAD BLOCK 10 STREAMS big 0
    XREAD BLOCK 10 STREAMS big $
    XREAD GROUP g c STREAMS big 0
    XREAD NOACK STREAMS big 0
    XREAD STREAMS big >
    XREAD STREAMS big +
    XREAD STREAMS str 0
    XREAD FOO STREAMS big 0
    XINFO STREAM big
    XINFO STREAM big FULL
    XINFO STREAM big FULL COUNT 1
    XINFO STREAM big FULL COUNT 0
    XINFO STREAM big FULL COUNT -1
    XINFO STREAM big FULL COUNT abc
    XINFO STREAM big FULL BOGUS 1
    XINFO STREAM big BOGUS
    XINFO STREAM big FULL COUNT
    XINFO STREAM missing
    XINFO STREAM str
    XINFO STREAM u
    XINFO STREAM t FULL
    XINFO
    XINFO STREAM
    XINFO HELP
    CONFIG SET stream-node-max-entries 4
    XADD nodes 1-1 a 1
    XADD nodes 1-2 a 1
    XADD nodes 1-3 a 1
    XADD nodes 1-4 a 1
    XADD nodes 1-5 b 1
    XADD nodes 1-6 a 1 b 2
    XADD nodes 1-7 a 1
    XADD nodes 1-8 a 1
    XADD nodes 1-9 a 1
    XADD nodes 1-10 a 1
    XINFO STREAM nodes
    XTRIM nodes MAXLEN ~ 5
    XTRIM nodes MAXLEN ~ 3
    XLEN nodes
    XDEL nodes 1-9 1-10
    XTRIM nodes MINID ~ 1-10
    XINFO STREAM nodes
    CONFIG SET stream-node-max-entries 100
    CONFIG SET stream-node-max-bytes 60
    XADD bytes 1-1 field "a long value of some length"
    XADD bytes 1-2 field "a long value of some length"
    XADD bytes 1-3 field 12345
    XADD bytes 1-4 field 123456789012
    XADD bytes 1-5 other x
    XINFO STREAM bytes
    XTRIM bytes MAXLEN ~ 1
    XINFO STREAM bytes
    CONFIG SET stream-node-max-bytes 4096
    CONFIG GET stream-node-max-bytes
    CONFIG GET stream-node-max-entries
    MULTI
    XREAD BLOCK 0 STREAMS big $
    XADD big 2-1 f v
    EXEC
    """

    static let streamGroups = """
    XGROUP CREATE s g $
    XGROUP CREATE s g $ MKSTREAM
    XINFO GROUPS s
    XGROUP CREATE s g $ MKSTREAM
    XGROUP CREATE s g2 0 ENTRIESREAD 5
    XGROUP CREATE s g3 0 ENTRIESREAD -2
    XGROUP CREATE s g3 0 ENTRIESREAD abc
    XGROUP CREATE s g3 0 BOGUS
    XGROUP CREATE s g3 abc
    XGROUP CREATE s g3 +
    XGROUP CREATE s g3 0 MKSTREAM ENTRIESREAD 1 EXTRA
    XGROUP
    XGROUP FOO
    XGROUP CREATE s
    XGROUP HELP
    XADD s 1-1 a 1
    XADD s 2-1 b 2
    XADD s 3-1 c 3
    XADD s 4-1 d 4
    XINFO GROUPS s
    XREADGROUP GROUP g alice COUNT 1 STREAMS s >
    XREADGROUP GROUP g alice STREAMS s >
    XREADGROUP GROUP g alice STREAMS s >
    XREADGROUP GROUP g bob STREAMS s 0
    XREADGROUP GROUP g alice STREAMS s 0
    XREADGROUP GROUP g alice COUNT 2 STREAMS s 1-1
    XREADGROUP GROUP g alice STREAMS s $
    XREADGROUP GROUP nog alice STREAMS s >
    XREADGROUP GROUP g alice STREAMS missing >
    XREADGROUP GROUP g alice STREAMS str >
    XREADGROUP STREAMS s >
    XREADGROUP GROUP g alice STREAMS s
    XREADGROUP GROUP g alice BOGUS STREAMS s >
    XPENDING s g
    ~ XPENDING s g - + 10
    ~ XPENDING s g - + 10 alice
    ~ XPENDING s g - + 10 bob
    ~ XPENDING s g (1-1 + 10
    ~ XPENDING s g - + 0
    ~ XPENDING s g - + -1
    XPENDING s g - + abc
    ~ XPENDING s g IDLE 0 - + 10
    ~ XPENDING s g IDLE abc - + 10
    ~ XPENDING s g IDLE 10 - +
    XPENDING s g -
    XPENDING s nog
    XPENDING missing g
    ~ XPENDING s g x + 10
    XINFO GROUPS s
    XACK s g 1-1
    XACK s g 1-1
    XACK s g 2-1 3-1 9-9
    XACK s g abc
    XACK s nog 1-1
    XACK missing g 1-1
    XPENDING s g
    XINFO GROUPS s
    XDEL s 2-1
    XINFO GROUPS s
    XREADGROUP GROUP g2 carol NOACK STREAMS s >
    XPENDING s g2
    XINFO GROUPS s
    XREADGROUP GROUP g3 dave COUNT 1 STREAMS s >
    XGROUP CREATE s g3 0
    XREADGROUP GROUP g3 dave COUNT 1 STREAMS s >
    XINFO GROUPS s
    XADD s 5-1 e 5
    XREADGROUP GROUP g3 dave STREAMS s >
    XINFO GROUPS s
    XCLAIM s g3 erin 0 1-1 3-1 4-1 JUSTID
    ~ XPENDING s g3 - + 10
    XCLAIM s g3 erin 0 1-1 RETRYCOUNT 7 TIME 1000 JUSTID
    ~ XPENDING s g3 - + 10
    XCLAIM s g3 frank 0 1-1 3-1
    XCLAIM s g3 frank 0 2-1 FORCE JUSTID
    XCLAIM s g3 frank 0 9-9 FORCE JUSTID
    XCLAIM s g3 frank 0 1-1 LASTID 9-9 JUSTID
    XINFO GROUPS s
    XCLAIM s g3 frank abc 1-1
    XCLAIM s g3 frank 0 1-1 IDLE abc
    XCLAIM s g3 frank 0 1-1 TIME abc
    XCLAIM s g3 frank 0 1-1 RETRYCOUNT abc
    XCLAIM s g3 frank 0 1-1 LASTID abc
    XCLAIM s g3 frank 0 1-1 BOGUS
    XCLAIM s nog frank 0 1-1
    XCLAIM missing g frank 0 1-1
    XCLAIM s g3 frank 100000 1-1 JUSTID
    XADD s 6-1 f 6
    XCLAIM s g3 gina 0 6-1 FORCE RETRYCOUNT 3 TIME 5000
    ~ XPENDING s g3 - + 10
    XDEL s 6-1
    XCLAIM s g3 gina 0 6-1 JUSTID
    ~ XPENDING s g3 - + 10
    XINFO CONSUMERS s nog
    XINFO CONSUMERS missing g
    XAUTOCLAIM s g3 henry 0 0 COUNT 2
    XAUTOCLAIM s g3 henry 0 0 COUNT 2 JUSTID
    XAUTOCLAIM s g3 henry 0 (3-1 JUSTID
    XAUTOCLAIM s g3 henry 100000 0
    XAUTOCLAIM s g3 henry 0 0 COUNT 0
    XAUTOCLAIM s g3 henry 0 0 COUNT abc
    XAUTOCLAIM s g3 henry abc 0
    XAUTOCLAIM s g3 henry 0 abc
    XAUTOCLAIM s g3 henry 0 0 BOGUS
    XAUTOCLAIM s nog henry 0 0
    XADD s 7-1 g 7
    XREADGROUP GROUP g3 ivan STREAMS s >
    XDEL s 7-1
    XAUTOCLAIM s g3 henry 0 0
    XPENDING s g3
    XGROUP CREATECONSUMER s g3 jack
    XGROUP CREATECONSUMER s g3 jack
    XGROUP CREATECONSUMER s nog jack
    XGROUP DELCONSUMER s g3 henry
    XGROUP DELCONSUMER s g3 nobody
    XGROUP DELCONSUMER s nog henry
    XPENDING s g3
    XGROUP SETID s g3 1-1
    XGROUP SETID s g3 $ ENTRIESREAD 3
    XGROUP SETID s g3 abc
    XGROUP SETID s g3 0 ENTRIESREAD -5
    XGROUP SETID s nog 0
    XGROUP SETID missing g 0
    XINFO GROUPS s
    XGROUP DESTROY s g3
    XGROUP DESTROY s g3
    XGROUP DESTROY missing g3
    XINFO GROUPS s
    XINFO GROUPS missing
    XINFO GROUPS str
    XINFO BOGUS s
    XINFO HELP
    SET str x
    XGROUP CREATE str g 0
    XACK str g 1-1
    XPENDING str g
    XCLAIM str g c 0 1-1
    XAUTOCLAIM str g c 0 0
    XINFO GROUPS str
    XTRIM s MAXLEN 0
    XINFO GROUPS s
    XADD lagged 1-1 a 1
    XADD lagged 2-1 a 1
    XADD lagged 3-1 a 1
    XGROUP CREATE lagged g 0
    XINFO GROUPS lagged
    XREADGROUP GROUP g c COUNT 1 STREAMS lagged >
    XINFO GROUPS lagged
    XDEL lagged 3-1
    XINFO GROUPS lagged
    XREADGROUP GROUP g c STREAMS lagged >
    XINFO GROUPS lagged
    XADD lagged 4-1 a 1
    XINFO GROUPS lagged
    XGROUP SETID lagged g 0
    XINFO GROUPS lagged
    XGROUP SETID lagged g 4-1 ENTRIESREAD 4
    XINFO GROUPS lagged
    """
}
