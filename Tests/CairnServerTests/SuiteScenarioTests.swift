import CairnTestSupport
import Foundation
import XCTest

/// The situations Redis's and Valkey's own test suites check for the data types
/// (tests/unit/type/{list,hash,set,zset}.tcl, tests/unit/sort.tcl), written as scripts of
/// ours and run side by side against redis-server, every reply compared byte for byte:
/// blocking commands and their neighbours (MULTI, WATCH, SWAPDB, expiry, CLIENT UNBLOCK)
/// with several clients, and the argument edge cases of each family. Those suites cannot
/// run here (their files are not on the machine); Docs/COMPATIBILITY.md says how these
/// scripts stand in for them.
final class SuiteScenarioTests: XCTestCase {
    func testListBlockingFromRedisSuite() throws {
        try ClientScript.compare("""
        --- lpush+del in multi does not wake
        B> BLPOP list 0
        A MULTI
        A LPUSH list a
        A DEL list
        A EXEC
        A DEL list
        A LPUSH list b
        B<
        --- lpush+del+set
        B> BLPOP list 0
        A MULTI
        A LPUSH list a
        A DEL list
        A SET list foo
        A EXEC
        A DEL list
        A LPUSH list b
        B<
        --- same key multiple times
        B> BLPOP list1 list2 list2 list1 0
        A LPUSH list1 a
        B<
        B> BLPOP list1 list2 list2 list1 0
        A LPUSH list2 b
        B<
        A LPUSH list1 a
        A LPUSH list2 b
        B BLPOP list1 list2 list2 list1 0
        B BLPOP list1 list2 list2 list1 0
        --- multi isolated
        B> BLPOP list 0
        A MULTI
        A LPUSH list a
        A LPUSH list b
        A LPUSH list c
        A EXEC
        B<
        --- variadic lpush
        B> BLPOP blist 0
        A LPUSH blist foo bar
        B<
        A LRANGE blist 0 -1
        --- brpoplpush with client blpoping target
        D> BLPOP target 0
        B> BRPOPLPUSH blist target 0
        A RPUSH blist foo
        B<
        D<
        A EXISTS target
        --- wrong source type
        A SET blist nolist
        B BRPOPLPUSH blist target 1
        --- wrong dest type
        A SET target nolist
        A LPUSH blist foo
        B BRPOPLPUSH blist target 1
        A DEL blist
        D> BRPOPLPUSH blist target 0
        A RPUSH blist foo
        D<
        A LRANGE blist 0 -1
        --- order after failure
        A SET target nolist
        B> BRPOPLPUSH blist target 0
        A RPUSH blist a b c
        B<
        A LRANGE blist 0 -1
        --- multiple blocked clients
        A SET target1 nolist
        C> BRPOPLPUSH blist target1 0
        D> BRPOPLPUSH blist target2 0
        A LPUSH blist foo
        C<
        D<
        A LRANGE target2 0 -1
        --- linked
        C> BRPOPLPUSH list1 list2 0
        D> BRPOPLPUSH list2 list3 0
        A RPUSH list1 foo
        A LRANGE list1 0 -1
        A LRANGE list2 0 -1
        A LRANGE list3 0 -1
        C<
        D<
        --- circular
        C> BRPOPLPUSH list1 list2 0
        D> BRPOPLPUSH list2 list1 0
        A RPUSH list1 foo
        A LRANGE list1 0 -1
        A LRANGE list2 0 -1
        C<
        D<
        --- self
        B> BRPOPLPUSH blist blist 0
        A RPUSH blist foo
        A LRANGE blist 0 -1
        B<
        --- in transaction
        A LPUSH xlist foo
        A LPUSH xlist bar
        A MULTI
        A BRPOPLPUSH xlist target 0
        A BRPOPLPUSH xlist target 0
        A BRPOPLPUSH xlist target 0
        A LRANGE xlist 0 -1
        A LRANGE target 0 -1
        A EXEC
        A MULTI
        A BLPOP xlist 0
        A BLPOP target 0
        A BLPOP target 0
        A BLPOP target 0
        A EXEC
        --- push from brpoplpush affects watch
        A SET somekey somevalue
        I> BRPOPLPUSH srclist dstlist 0
        H WATCH dstlist
        H MULTI
        H GET somekey
        A LPUSH srclist element
        I<
        H EXEC
        --- brpoplpush does not affect watch while blocked
        A SET somekey somevalue
        I> BRPOPLPUSH srclist dstlist 0
        H WATCH dstlist
        H MULTI
        H GET somekey
        H EXEC
        A LPUSH srclist element
        I<
        --- timeout
        B BRPOPLPUSH foo_list bar_list 0.5
        --- new key moved into place
        B> BLPOP foo 5
        A LPUSH bob abc def hij
        A RENAME bob foo
        B<
        --- sort store
        B> BLPOP foo 5
        A LPUSH notfoo hello hola aguacate konichiwa zanzibar
        A SORT notfoo ALPHA STORE foo
        B<
        --- negative timeout, non-integer
        B BLPOP blist1 -1
        B BRPOP blist1 -0.5
        B BLPOP blist1 abc
        B BLPOP blist1 0.1x
        B BLPOP blist1 1e1000
        B BLPOP blist1 inf
        B> BRPOP blist1 0.5
        A RPUSH blist1 foo
        B<
        A EXISTS blist1
        A SET blist2 nolist
        B BLPOP blist1 blist2 1
        B BLPOP blist2 blist1 1
        --- arguments empty
        B> BRPOP blist1 blist2 1
        A RPUSH blist2 foo
        B<
        A EXISTS blist1 blist2
        --- lpushx rpushx
        A LPUSHX xlist a
        A RPUSHX xlist a
        A RPUSH xlist b c
        A RPUSHX xlist d
        A LPUSHX xlist a
        A RPUSHX xlist 42 x
        A LPUSHX xlist y3 y2 y1
        A LRANGE xlist 0 -1
        A LINSERT xlist before c zz
        A LINSERT xlist after c yy
        A LINSERT xlist after bad ddd
        A LINSERT xlist before aa 42
        A LINSERT xlist aft3r aa 42
        A LINSERT nokey before a b
        A LRANGE xlist 0 -1
        --- chaining regression
        C> BRPOPLPUSH a b 0
        C> BRPOPLPUSH a b 0
        D> BRPOPLPUSH b c 0
        A LPUSH a data
        C<
        D<
        A PING
        A LRANGE a 0 -1
        A LRANGE b 0 -1
        A LRANGE c 0 -1
        --- lset, lrem
        A LSET nosuchkey 10 foo
        A SET nolist foobar
        A LSET nolist 0 foo
        A RPUSH mylist 99 98 97 96 95
        A LSET mylist 10 foo
        A LSET mylist -1 bar
        A LSET mylist -6 bar
        A LRANGE mylist 0 -1
        A RPUSH l2 e foo bar foobar foobared zap bar test foo foo
        A LREM l2 -1 bar
        A LREM l2 -2 foo
        A LREM l2 0 foo
        A LRANGE l2 0 -1
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testListBlockingFromValkeySuite() throws {
        try ClientScript.compare("""
        --- swapdb wakes
        A SELECT 1
        A RPUSH k hello
        A SELECT 9
        B SELECT 9
        B> BRPOP k 5
        A SWAPDB 1 9
        B<
        --- swapdb expired key
        A DEBUG SET-ACTIVE-EXPIRE 0
        A SELECT 1
        A RPUSH k hello
        A PEXPIRE k 100
        B SELECT 9
        B> BRPOP k 1
        sleep 0.15
        A SWAPDB 1 9
        sleep 0.1
        B<
        B EXISTS k
        A DEBUG SET-ACTIVE-EXPIRE 1
        A SELECT 0
        --- multi expire sleep
        A DEBUG SET-ACTIVE-EXPIRE 0
        B> BRPOP k 0
        A MULTI
        A RPUSH k hello
        A PEXPIRE k 100
        A DEBUG SLEEP 0.2
        A EXEC
        sleep 0.1
        D> LPUSH other x
        D<
        A EXISTS k
        A RPUSH k again
        B<
        A DEBUG SET-ACTIVE-EXPIRE 1
        --- blpop reblock
        A DEBUG SET-ACTIVE-EXPIRE 0
        B> BLPOP mylist 1
        A MULTI
        A RPUSH mylist a
        A PEXPIRE mylist 100
        A DEBUG SLEEP 0.2
        A EXEC
        B<
        A DEBUG SET-ACTIVE-EXPIRE 1
        --- timeouts
        A BLPOP blist1 0x7FFFFFFFFFFFFF
        B BLPOP blist1 0.001
        --- lpop count
        A LPOP key 1 1
        A RPOP key 2 2
        A LPUSH listcount aa bb cc dd ee ff gg
        A LPOP listcount 1
        A LPOP listcount 2
        A RPOP listcount 2
        A RPOP listcount 1
        A RPOP listcount 123
        A LPOP forbarqaz -123
        A LPUSH listcount zero
        A LPOP listcount 0
        A RPOP listcount 0
        A LPOP non_existing_key 0
        A LPOP non_existing_key 1
        A LPOP non_existing_key 0
        A RPOP non_existing_key
        A LPOP listcount 0
        A LPOS mylist c RANK -9223372036854775808
        A RPUSH mylist a
        A LPOS mylist b COUNT 10 RANK 5
        --- blmpop multiple blocked
        C> BLMPOP 0 2 blist blist2 left count 1
        D> BLMPOP 0 2 blist blist2 right count 10
        E> BLMPOP 0 2 blist blist2 left count 10
        F> BLMPOP 0 2 blist blist2 right count 1
        A MULTI
        A LPUSH blist a b c d e
        A LPUSH blist2 1 2 3 4 5
        A EXEC
        C<
        D<
        E<
        A LPUSH blist2 1 2 3
        F<
        --- linked lmoves
        C> BLMOVE list1 list2 right left 0
        D> BLMOVE list2 list3 left right 0
        A RPUSH list1 foo
        A LRANGE list1 0 -1
        A LRANGE list2 0 -1
        A LRANGE list3 0 -1
        C<
        D<
        --- blmove with blpop target
        D> BLPOP target 0
        B> BLMOVE blist target left right 0
        A RPUSH blist foo
        B<
        D<
        A EXISTS target
        A RPUSH target bar
        B> BLMOVE blist target right left 0
        A RPUSH blist foo
        B<
        A LRANGE target 0 -1
        --- blmpop in multi
        A LPUSH xlist foo
        A LPUSH xlist bar
        A MULTI
        A BLMPOP 0 1 xlist LEFT COUNT 1
        A BLMPOP 0 1 xlist LEFT COUNT 1
        A BLMPOP 0 1 xlist LEFT COUNT 1
        A EXEC
        --- dirty
        A CONFIG RESETSTAT
        B> BLPOP lst 0
        A LPUSH lst a
        B<
        B> BLMOVE lst lst1 left left 0
        A LPUSH lst a
        B<
        --- client unblock
        B CLIENT SETNAME x
        B> BLPOP l 0
        A CLIENT UNBLOCK abc
        A CLIENT UNBLOCK 999999
        A CLIENT UNBLOCK 1 bogus
        A CLIENT UNBLOCK 1 TIMEOUT extra
        --- fairness pipeline
        C> BLPOP mylist 0
        D> LPUSH mylist 1
        D> BLPOP mylist 0
        C<
        D<
        A LPUSH mylist 2
        D<
        --- nested unblock
        C> BRPOPLPUSH l1 l3 0
        D> BLPOP l2 0
        E> BLMPOP 0 2 l2 l3 LEFT COUNT 1
        A MULTI
        A LPUSH l1 1
        A LPUSH l2 2
        A EXEC
        C<
        D<
        E<
        A EXISTS l1 l2 l3
        --- command being unblocked chain
        C> BLMOVE src dst left right 0
        D> BLMOVE dst src right left 0
        E> SET key1 value1
        E> LPUSH src dummy
        E> SET key2 value2
        C<
        D<
        E<
        E<
        E<
        A LRANGE src 0 -1
        A LRANGE dst 0 -1
        --- lmpop
        A RPUSH mylist a b large d e f
        A LMPOP 2 mylist mylist left count 2
        A LMPOP 2 mylist mylist right count 2
        A LLEN mylist
        A DEL mylist
        A RPUSH mylist a b large d e
        A LMPOP 2 mylist mylist2 left count 1
        A LMPOP 2 mylist mylist2 right count 10
        A LMPOP 2 mylist mylist2 right count 1
        A RPUSH mylist2 1 2 large 4 5
        A LMPOP 2 mylist mylist2 right count 1
        A LMPOP 2 mylist mylist2 left count 10
        A EXISTS mylist mylist2
        A SET notalist foo
        A LPOP notalist
        A BLPOP notalist 0
        A BRPOP notalist 0
        A LMPOP 2 notalist notalist2 left count 1
        A BLMPOP 0 2 notalist notalist2 left count 1
        A DEL notalist
        A SET notalist2 nolist
        A LMPOP 2 notalist notalist2 right count 10
        A BLMPOP 0 2 notalist notalist2 left count 1
        A LMPOP
        A LMPOP 1
        A LMPOP 1 mylist
        A LMPOP 0 mylist LEFT
        A LMPOP a mylist LEFT
        A LMPOP -1 mylist RIGHT
        A LMPOP 1 mylist bad_where
        A LMPOP 1 mylist LEFT bar_arg
        A LMPOP 1 mylist RIGHT LEFT
        A LMPOP 1 mylist COUNT
        A LMPOP 2 mylist mylist2 bad_arg
        A LMPOP 1 mylist LEFT COUNT 0
        A LMPOP 1 mylist RIGHT COUNT a
        A LMPOP 1 mylist LEFT COUNT -1
        A LMPOP 2 mylist mylist2 RIGHT COUNT -1
        A LINSERT k1 after 0 0
        A SET k1 v1
        A LINSERT k1 after 0 0
        A LINSERT not-a-key before 0 0
        A RPUSH mylist 1 large 3
        A LRANGE mylist 1 0
        A LRANGE mylist -1 -2
        --- encodings
        A CONFIG SET list-max-listpack-size 3
        A RPUSH lst a b c
        A OBJECT ENCODING lst
        A RPUSH lst dddd
        A OBJECT ENCODING lst
        A RPOP lst 3
        A OBJECT ENCODING lst
        A CONFIG SET list-max-listpack-size 0
        A DEL lst
        A RPUSH lst a
        A OBJECT ENCODING lst
        A RPUSH lst b
        A OBJECT ENCODING lst
        A CONFIG SET list-max-listpack-size -6
        A CONFIG GET list-max-listpack-size
        A CONFIG SET list-max-listpack-size -5
        A DEL k
        A LPUSH k 127
        A LPUSH k 32767
        A LPUSH k 2147483647
        A LPUSH k 9223372036854775808
        A LPUSH k 0
        A LPUSH k 12
        A LINDEX k 2
        A LINDEX k -4
        A LPOS k foo rank 1
        A LPOS k foo rank -1
        A LRANGE k 0 -1
        A CONFIG SET list-max-listpack-size -2
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testSortedSetBlockingAndStores() throws {
        try ClientScript.compare("""
        --- bzpop zadd+del
        B> BZPOPMIN zset 0
        A MULTI
        A ZADD zset 0 foo
        A DEL zset
        A EXEC
        A DEL zset
        A ZADD zset 1 bar
        B<
        B> BZMPOP 0 1 zset MIN COUNT 1
        A MULTI
        A ZADD zset 0 foo
        A DEL zset
        A SET zset foo
        A EXEC
        A DEL zset
        A ZADD zset 1 bar
        B<
        --- same key multiple
        B> BZPOPMIN z1 z2 z2 z1 0
        A ZADD z1 0 a
        B<
        B> BZPOPMIN z1 z2 z2 z1 0
        A ZADD z2 1 b
        B<
        A ZADD z1 0 a
        A ZADD z2 1 b
        B BZPOPMIN z1 z2 z2 z1 0
        B BZPOPMIN z1 z2 z2 z1 0
        --- multi isolated, variadic
        B> BZMPOP 0 1 zset MIN COUNT 1
        A MULTI
        A ZADD zset 0 a
        A ZADD zset 1 b
        A ZADD zset 2 c
        A EXEC
        B<
        A DEL zset
        B> BZPOPMIN zset 0
        A ZADD zset -1 foo 1 bar
        B<
        A ZRANGE zset 0 -1
        --- wrongtype and args
        A SET foo bar
        A BZPOPMIN foo 1
        A BZPOPMAX foo 1
        A BZMPOP 1 1 foo min
        A BZMPOP 1 1 foo max count 10
        A DEL foo
        A SET foo2 bar
        A BZMPOP 1 2 foo foo2 min
        A BZMPOP 1 2 foo2 foo max count 1
        A BZMPOP
        A BZMPOP 0 1
        A BZMPOP 0 1 myzset
        A BZMPOP 1 0 myzset MIN
        A BZMPOP 1 a myzset MIN
        A BZMPOP 1 -1 myzset MAX
        A BZMPOP 1 1 myzset bad_where
        A BZMPOP 1 1 myzset MIN bar_arg
        A BZMPOP 1 1 myzset MAX MIN
        A BZMPOP 1 1 myzset COUNT
        A BZMPOP 1 1 myzset MIN COUNT 1 COUNT 2
        A BZMPOP 1 2 myzset myzset2 bad_arg
        A BZMPOP 1 1 myzset MIN COUNT 0
        A BZMPOP 1 1 myzset MAX COUNT a
        A BZMPOP 1 1 myzset MIN COUNT -1
        A BZMPOP 1 2 myzset myzset2 MAX COUNT -1
        A BZMPOP -1 1 myzset MIN
        A BZMPOP abc 1 myzset MIN
        A BLMPOP 1 1 mylist LEFT COUNT 1 COUNT 2
        --- multiple blocked bzmpop
        C> BZMPOP 0 2 myzset myzset2 min count 1
        D> BZMPOP 0 2 myzset myzset2 max count 10
        E> BZMPOP 0 2 myzset myzset2 min count 10
        F> BZMPOP 0 2 myzset myzset2 max count 1
        A MULTI
        A ZADD myzset 1 a 2 b 3 c 4 d 5 e
        A ZADD myzset2 1 a 2 b 3 c 4 d 5 e
        A EXEC
        C<
        D<
        E<
        A ZADD myzset2 1 a 2 b 3 c
        F<
        --- non-key args
        C> BZMPOP 0 1 myzset min count 10
        D> BZMPOP 0 2 myzset2 myzset3 max count 10
        A ZADD 0 100 timeout_value
        A ZADD 1 200 numkeys_value
        A ZADD min 300 min_token
        A ZADD max 400 max_token
        A ZADD count 500 count_token
        A ZADD 10 600 count_value
        A ZADD myzset 1 zset
        A ZADD myzset3 1 zset3
        C<
        D<
        --- rangestore
        A ZADD z1 1 a 2 b 3 c 4 d
        A ZRANGESTORE z2 z1 0 -1
        A ZRANGESTORE z2 z1 1 2
        A ZRANGESTORE z3 z1 [b [c BYLEX
        A OBJECT ENCODING z3
        A ZRANGESTORE z4 z1 1 2 BYSCORE
        A ZRANGESTORE z2 z1 0 5 BYSCORE LIMIT 0 2
        A ZRANGESTORE z2 z1 5 0 BYSCORE REV LIMIT 0 2
        A ZRANGE z2 0 -1 WITHSCORES
        A ZRANGE z1 5 0 BYSCORE REV LIMIT 0 2 WITHSCORES
        A ZRANGESTORE z2 missing 0 -1
        A EXISTS z2
        A ZADD z2 1 a
        A SET foo bar
        A ZRANGESTORE z2 foo 0 -1
        A ZRANGE z2 0 -1
        A ZRANGESTORE z2 z1 5 6
        A EXISTS z2
        A ZADD z2 1 a
        A ZRANGESTORE z2 z1 [f [g BYLEX
        A EXISTS z2
        A ZADD z2 1 a
        A ZRANGESTORE z2 z1 5 6 BYSCORE
        A EXISTS z2
        A ZRANGESTORE z2 z1 0 -1 limit 1 2
        A ZRANGESTORE z2 z1 0 -1 WITHSCORES
        A ZRANGE z1 0 -1 limit 1 2
        A ZRANGE z1 0 -1 BYLEX WITHSCORES
        A ZREVRANGE z1 0 -1 BYSCORE
        A ZRANGEBYSCORE z1 0 -1 REV
        A CONFIG SET zset-max-listpack-entries 0
        A DEL z1 z2
        A ZADD z1 1 a
        A OBJECT ENCODING z1
        A ZRANGESTORE z2 z1 0 -1
        A OBJECT ENCODING z2
        A CONFIG SET zset-max-listpack-entries 1
        A DEL z1 z2 z3
        A ZADD z1 1 a 2 b
        A ZRANGESTORE z2 z1 0 0
        A OBJECT ENCODING z2
        A ZRANGESTORE z3 z1 0 1
        A OBJECT ENCODING z3
        A CONFIG SET zset-max-listpack-entries 128
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testHashesFromRedisSuite() throws {
        try ClientScript.compare("""
        --- hash
        A HMSET smallhash key1 val1 key2
        A HMGET doesntexist a b
        A SET wrongtype somevalue
        A HMGET wrongtype field1 field2
        A HMSET myhash a 1 b 2 c 3
        A HDEL myhash x y
        A HDEL myhash a c f
        A HGETALL myhash
        A HMSET myhash a 1 b 2 c 3
        A HDEL myhash a b c d e
        A EXISTS myhash
        A HINCRBY htest foo 2
        A HSET h tmp 17179869184
        A HINCRBY h tmp 1
        A HINCRBY h tmp 17179869184
        A HSET h str " 11"
        A HINCRBY h str 1
        A HINCRBYFLOAT h str 1
        A HSET h str "11 "
        A HINCRBY h str 1
        A HINCRBYFLOAT h str 1
        A HSET h n -9223372036854775484
        A HINCRBY h n -1
        A HINCRBY h n -10000
        A HINCRBYFLOAT htest2 foo 2.5
        A HINCRBYFLOAT h tmp 17179869184
        A HINCRBYFLOAT h tmp 1.5e308
        A HINCRBYFLOAT h tmp 1.5e308
        A HINCRBYFLOAT h tmp inf
        A HINCRBYFLOAT h tmp nan
        A HSET h f 1.5
        A HINCRBYFLOAT h f 0.1
        A HINCRBYFLOAT h f -1.6
        A HINCRBYFLOAT h f 1e17
        A HINCRBYFLOAT h f 5.0e3
        A HINCRBYFLOAT h f 0x10
        A HINCRBY h f 1
        A HSET h big 12345678901234567890
        A HINCRBY h big 1
        A HINCRBYFLOAT h big 1
        A HSTRLEN h big
        A HSTRLEN h nofield
        A HSTRLEN nokey f
        A HSETNX h f x
        A HSETNX h newf x
        A HSETNX h newf
        A HGET h newf
        A HRANDFIELD nokey
        A HRANDFIELD nokey 5
        A HRANDFIELD h 0
        A HRANDFIELD h -9223372036854775808
        A HRANDFIELD h -9223372036854775808 WITHVALUES
        A HRANDFIELD h 1 WITHVALUES extra
        A HSET h
        A HSET h a
        A HSET h a b c
        A HGETALL nokey
        A HKEYS wrongtype
        A HLEN wrongtype
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testSetsAndSortedSetsFromRedisSuite() throws {
        try ClientScript.compare("""
        --- set stores
        A SET key1 x
        A SDIFF key1 noset
        A SDIFF noset key1
        A SADD set1 a b c
        A SDIFF key1 set1
        A SDIFF set1 key1
        A SDIFFSTORE set3 key1 noset
        A EXISTS set3
        A SDIFFSTORE set3 noset key1
        A SADD set2 b c d
        A SADD set3 e
        A SDIFFSTORE set3 key1 set1 noset
        A SMEMBERS set3
        A SDIFFSTORE set3 set1 key1 set2
        A SET setres xxx
        A SDIFFSTORE setres foo111 bar222
        A EXISTS setres
        A SINTERSTORE set3 key1 set2 noset
        A SINTERSTORE set3 noset key1 set2
        A SMEMBERS set3
        A SET setres xxx
        A SINTERSTORE setres foo111 bar222
        A EXISTS setres
        A SUNIONSTORE set3 key1 key2 noset
        A SUNIONSTORE set3 noset key1 key2
        A SET setres xxx
        A SUNIONSTORE setres foo111 bar222
        A EXISTS setres
        A SUNIONSTORE set3 set1 set2
        A SINTERSTORE set3 set1 set2 nokey
        A EXISTS set3
        A SINTERCARD
        A SINTERCARD 1
        A SINTERCARD 0 myset
        A SINTERCARD a myset
        A SINTERCARD 2 myset
        A SINTERCARD 3 myset myset2
        A SINTERCARD 1 myset myset2
        A SINTERCARD 1 myset bar_arg
        A SINTERCARD 1 myset LIMIT
        A SINTERCARD 1 myset LIMIT -1
        A SINTERCARD 1 myset LIMIT a
        A SINTERCARD 1 key1
        A SINTERCARD 2 set1 key1
        A SINTERCARD 2 key1 noset
        A SINTERCARD 1 non-existing-key limit 0
        A SADD i1 1 2 3
        A SADD i2 1 2 3 a
        A SREM i2 a
        A OBJECT ENCODING i1
        A OBJECT ENCODING i2
        A SINTERSTORE ires i1 i2
        A OBJECT ENCODING ires
        A SADD h1 a b c 444 555 666
        A SADD h2 e f g 111 222 333
        A SINTERSTORE hres h1 h2
        A SADD h1 1 2 3
        A SADD h2 1 2 3
        A SINTERSTORE hres h1 h2
        A OBJECT ENCODING hres
        A SADD big 213244124402402314402033402
        A OBJECT ENCODING big
        A SISMEMBER big 213244124402402314402033402
        A SMISMEMBER big 213244124402402314402033402
        A SMISMEMBER zz
        A SPOP nonexisting_key 100
        A SPOP i1 0
        A SPOP i1 -1
        A SRANDMEMBER nokey -5
        A SRANDMEMBER nokey 0
        A SRANDMEMBER i1 0
        A SRANDMEMBER i1 -9223372036854775808
        A SRANDMEMBER i1 9223372036854775807
        A SPOP i1 9223372036854775807
        A SMOVE i1 i2 5
        A SMOVE key1 i2 5
        A SMOVE i2 key1 1
        A SMOVE i2 key1 99
        A SMOVE i2 i2 1
        A SMOVE i2 i2 99
        A SMOVE nokey key1 1
        --- zsets
        A ZADD myzset nan abc
        A ZINCRBY myzset +inf abc
        A ZINCRBY myzset -inf abc
        A ZSCORE myzset abc
        A DEL myzset
        A ZADD myzset 10 a 20 b 30.badscore c
        A EXISTS myzset
        A ZADD myzset 10 a 20 b 30 c 40
        A ZINCRBY myzset 10 a 20 b 30 c
        A ZADD zsetinf1 +inf key
        A ZADD zsetinf2 +inf key
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2
        A ZSCORE zsetinf3 key
        A ZADD zsetinf1 -inf key
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2
        A ZSCORE zsetinf3 key
        A ZINTERSTORE zsetinf3 2 zsetinf1 zsetinf2
        A ZSCORE zsetinf3 key
        A ZINTERSTORE zsetinf3 2 zsetinf1 zsetinf2 weights nan nan
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2 weights 1 nan
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2 weights inf -inf
        A ZRANGE zsetinf3 0 -1 WITHSCORES
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2 weights 0 0
        A ZRANGE zsetinf3 0 -1 WITHSCORES
        A ZUNIONSTORE zsetinf3 2 zsetinf1 zsetinf2 aggregate max
        A ZRANGE zsetinf3 0 -1 WITHSCORES
        A SADD set1 a
        A SADD set2 10
        A ZINTERSTORE set3 2 set1 set2
        A ZADD z -inf neginf
        A ZUNIONSTORE out 1 z weights 0
        A ZRANGE out 0 -1 WITHSCORES
        A SADD one 100 101 102 103
        A SADD two 100 200 201 202
        A ZADD three 1 500 1 501 1 502 1 503 1 100
        A ZINTERSTORE to_here 3 one two three WEIGHTS 0 0 1
        A ZRANGE to_here 0 -1 WITHSCORES
        A ZUNION 3 one two three WITHSCORES
        A ZINTER 3 one two three WEIGHTS 1 2 3 WITHSCORES
        A ZDIFF 3 three one two WITHSCORES
        A ZUNION 2 one three AGGREGATE MIN WITHSCORES
        A ZRANGEBYSCORE fooz str 1
        A ZRANGEBYSCORE fooz 1 str
        A ZRANGEBYSCORE fooz 1 NaN
        A ZREMRANGEBYSCORE fooz 1 NaN
        A ZADD zset -inf a 1 b 2 c 3 d 4 e 5 f +inf g
        A ZRANGEBYSCORE zset (-inf (2
        A ZRANGEBYSCORE zset (4 (+inf
        A ZREVRANGEBYSCORE zset (+inf (4
        A ZREVRANGEBYSCORE zset (2 (-inf
        A ZCOUNT zset (-inf (+inf
        A ZCOUNT zset -inf +inf
        A ZRANGEBYSCORE zset 0 10 LIMIT 2 -1
        A ZRANGEBYSCORE zset 0 10 LIMIT -1 2
        A ZREVRANGEBYSCORE zset 10 0 LIMIT 2 3 WITHSCORES
        A ZRANGEBYSCORE zset 2.4 (2.6
        A ZREMRANGEBYRANK zset 10 -1
        A ZREMRANGEBYRANK zset 0 -10
        A ZREMRANGEBYRANK zset -10 0
        A ZRANGE zset 0 -1 WITHSCORES
        A ZRANK zset nosuch
        A ZRANK zset g
        A ZREVRANK zset g
        A ZRANGESTORE dst zset 0 -1
        A ZRANGESTORE dst nokey 0 -1
        A EXISTS dst
        A ZRANGESTORE dst zset (1 +inf BYSCORE LIMIT 1 2
        A ZRANGE dst 0 -1 WITHSCORES
        A ZRANGE zset [a [z BYLEX
        A ZADD lex 0 a 0 b 0 c 0 d
        A ZRANGE lex [b (d BYLEX REV
        A ZRANGE lex (d [b BYLEX REV
        A ZRANGE lex + - BYLEX REV LIMIT 1 2
        A ZRANGE lex 0 -1 REV WITHSCORES
        A ZRANGE lex 0 -1 LIMIT 0 1
        A ZRANGE lex 0 -1 BYSCORE BYLEX
        A ZRANGEBYLEX lex a c
        A ZLEXCOUNT lex - +
        A ZLEXCOUNT lex + -
        A ZREMRANGEBYLEX lex [b [c
        A ZRANGE lex 0 -1
        A ZMPOP 1 lex MIN COUNT 0
        A ZMPOP 1 lex MAX COUNT 10
        A EXISTS lex
        --- intsets replaced at every change, written back where the key's entry is now
        A DEBUG SET-ACTIVE-EXPIRE 0
        A SADD dst 9
        A PEXPIRE dst 1
        A SADD src 1 2 3 4
        sleep 0.05
        A SMOVE src dst 2
        A SMEMBERS src
        A SMEMBERS dst
        A PTTL dst
        A SADD gone 5
        A PEXPIRE gone 1
        A SADD kept 6 7
        sleep 0.05
        A SMOVE kept gone 6
        A SMEMBERS kept
        A SMEMBERS gone
        A SREM kept 7 8
        A EXISTS kept
        A DEBUG SET-ACTIVE-EXPIRE 1
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testSortedSetsFromValkeySuite() throws {
        try ClientScript.compare("""
        --- zadd flags
        A ZINCRBY myzset nan abc
        A ZADD ztmp xx 10 x 20
        A ZADD ztmp xx 10 x
        A TYPE ztmp
        A ZADD ztmp 10 x
        A ZADD ztmp xx 20 y
        A ZADD ztmp 10 x 20 y 30 z
        A ZADD ztmp xx 5 foo 11 x 21 y 40 zap
        A ZADD ztmp gt ch 5 foo 12 x 22 y 29 z
        A ZADD ztmp lt ch 5 foo 11 x 21 y 29 z
        A ZADD ztmp gt xx ch 5 foo2 13 x 2 y 29 z
        A ZADD ztmp lt xx ch 5 foo3 11 x 21 y 28 z
        A ZRANGE ztmp 0 -1 WITHSCORES
        A ZADD ztmp xx nx 10 x
        A ZADD ztmp gt nx 10 x
        A ZADD ztmp lt nx 10 x
        A ZADD ztmp lt gt 10 x
        A ZADD ztmp nx 11 x 21 y 100 a 200 b
        A DEL ztmp
        A ZADD ztmp 28 x
        A ZADD ztmp lt incr 1 x
        A ZADD ztmp gt incr -1 x
        A ZADD ztmp gt incr 1 x
        A ZADD ztmp nx incr 1 x
        A ZADD ztmp xx incr 1 nox
        A ZADD ztmp +inf x -inf y
        A ZADD ztmp lt incr 1 x
        A ZADD ztmp gt incr -1 x
        A ZADD ztmp lt incr -1 x
        A ZADD ztmp gt incr 1 x
        A ZADD ztmp lt incr 1 y
        A ZADD ztmp gt incr -1 y
        A ZADD ztmp lt incr -1 y
        A ZADD ztmp gt incr 1 y
        A ZADD ztmp incr -inf x
        A ZADD ztmp INCR 15 x 10 y
        A ZADD ztmp ch 12 x 22 y 30 z
        A ZADD ztmp 11 x 21 y 30 z
        A ZADD ztmp incr ch 1 x
        A ZADD ztmp ch incr 0 x
        A ZINCRBY zincr v one
        A ZINCRBY ztmp 1.0 nnn
        A ZINCRBY ztmp 0 nnn
        A ZINCRBY ztmp 1e308 nnn
        A ZINCRBY ztmp 1e308 nnn
        --- long ranges
        A ZADD zset 0 i0 1 i1 2 i2 3 i3 4 i4 5 i5 6 i6 7 i7 8 i8 9 i9 10 i10 11 i11 12 i12 13 i13 14 i14 15 i15 16 i16 17 i17 18 i18 19 i19 20 i20 21 i21 22 i22 23 i23 24 i24 25 i25 26 i26 27 i27 28 i28 29 i29
        A ZRANGEBYSCORE zset 0 20 LIMIT 12 3
        A ZRANGEBYSCORE zset 0 20 LIMIT 14 2
        A ZRANGEBYSCORE zset 0 30 LIMIT 19 3
        A ZRANGEBYSCORE zset 10 30 LIMIT 19 2
        A ZREVRANGEBYSCORE zset 30 10 LIMIT 12 3
        A ZREVRANGEBYSCORE zset 20 0 LIMIT 14 2
        A ZREVRANGEBYSCORE zset 20 0 LIMIT 18 5
        A ZREVRANGEBYSCORE zset 20 0 LIMIT 20 5
        A ZRANGEBYSCORE zset 2 5 LIMIT 12 13 WITHSCORES
        A ZRANGE zset 5 10 BYSCORE LIMIT 1 -1 WITHSCORES
        A ZRANGE zset 5 10 BYSCORE REV LIMIT 1 -1 WITHSCORES
        A ZRANGE zset 10 5 BYSCORE REV LIMIT 1 -5 WITHSCORES
        A ZRANGE zset 10 5 BYSCORE REV LIMIT -1 5 WITHSCORES
        --- lex
        A ZADD zset 0 alpha 0 bar 0 cool 0 down 0 elephant 0 foo 0 great 0 hill 0 omega
        A ZRANGEBYLEX zset - [cool
        A ZRANGEBYLEX zset [bar [down
        A ZRANGEBYLEX zset [g +
        A ZREVRANGEBYLEX zset [cool -
        A ZREVRANGEBYLEX zset [down [bar
        A ZREVRANGEBYLEX zset + [d
        A ZLEXCOUNT zset [ele [h
        A ZRANGEBYLEX zset - (cool
        A ZRANGEBYLEX zset (bar (down
        A ZREVRANGEBYLEX zset (cool -
        A ZLEXCOUNT zset (ele (great
        A ZRANGEBYLEX zset (az (b
        A ZRANGEBYLEX zset (z +
        A ZRANGEBYLEX zset - [aaaa
        A ZREVRANGEBYLEX zset [elez [elex
        A ZREVRANGEBYLEX zset (hill (omega
        A ZLEXCOUNT zset + [c
        A ZLEXCOUNT zset [c -
        A ZLEXCOUNT zset (maxstring +
        A ZRANGEBYLEX zset [bar [down LIMIT 0 0
        A ZRANGEBYLEX zset [bar [down LIMIT 2 0
        A ZRANGEBYLEX zset [bar [down LIMIT 1 1
        A ZREVRANGEBYLEX zset + [d LIMIT 2 3
        A ZADD zset 0 island 0 jacket 0 key 0 lip 0 max 0 null 0 point 0 query 0 result 0 sea 0 tree
        A ZRANGEBYLEX zset - [tree LIMIT 12 2
        A ZREVRANGEBYLEX zset + [o LIMIT 0 5
        A ZREVRANGEBYLEX zset + [l LIMIT 5 4
        A ZREVRANGEBYLEX zset + [a LIMIT 15 2
        A ZREVRANGEBYLEX zset + - LIMIT 18 6
        A ZRANGEBYLEX fooz foo bar
        A ZRANGEBYLEX fooz [foo bar
        A ZRANGEBYLEX fooz foo [bar
        A ZRANGEBYLEX fooz +x [bar
        A ZRANGEBYLEX fooz -x [bar
        A ZRANGEBYLEX zset [a [b WITHSCORES
        A ZREMRANGEBYLEX zset - [cool
        A ZREMRANGEBYLEX zset (great +
        A ZREMRANGEBYLEX zset (az (b
        A ZREMRANGEBYLEX zset foo bar
        A ZRANGE zset 0 -1
        --- set ops
        A ZUNION 1 zseta
        A ZINTER 1 zseta
        A ZINTERCARD 1 zseta
        A ZINTERCARD 1 zseta limit 0
        A ZDIFF 1 zseta
        A ZADD zseta 1 a 2 b 3 c
        A ZADD zsetb 1 b 2 c 3 d
        A ZADD zsetd 1 1 2 2 3 3
        A ZADD zsetf 1 1 3 3 4 4
        A ZUNION 2 zsetd zsetf withscores
        A ZINTER 2 zsetd zsetf withscores
        A ZINTERCARD 2 zsetd zsetf
        A ZDIFF 2 zsetd zsetf withscores
        A ZINTERCARD 1 zseta zseta
        A ZINTERCARD 1 zseta bar_arg
        A ZINTERCARD 1 zseta LIMIT
        A ZINTERCARD 1 myset LIMIT -1
        A ZINTERCARD 1 myset LIMIT a
        A ZINTERCARD 2 zseta zsetb limit 1
        A ZINTER 2 zseta zsetb withscores
        A ZUNION 2 zseta zsetb withscores
        A ZRANGE zseta 0 -1 WITHSCORES
        A ZPOPMIN zseta 1
        A ZPOPMIN zseta
        A ZMPOP 1 zsetb MAX
        A ZMPOP 1 zsetb MAX COUNT 2
        A ZDIFFSTORE zsetc 2 zseta zseta
        A ZADD zseta 1 a 2 b 3 c 5 e
        A ZADD zsetb 1 b
        A ZADD zsetc 1 c
        A ZADD zsetd 1 d
        A ZDIFFSTORE zsete 4 zseta zsetb zsetc zsetd
        A ZRANGE zsete 0 -1 WITHSCORES
        A ZPOPMIN zset 0
        A ZPOPMAX zset 0
        A SET zsetstr foo
        A ZPOPMIN zsetstr -1
        A ZPOPMIN nokey -2
        A ZPOPMAX zset -3
        A ZPOPMIN zsetstr
        A ZPOPMIN zsetstr 0
        A ZMPOP 1 zsetstr min
        A ZMPOP 2 nokey zsetstr max count 1
        A ZMPOP
        A ZMPOP 1
        A ZMPOP 1 myzset
        A ZMPOP 0 myzset MIN
        A ZMPOP a myzset MIN
        A ZMPOP -1 myzset MAX
        A ZMPOP 1 myzset bad_where
        A ZMPOP 1 myzset MIN bar_arg
        A ZMPOP 1 myzset MAX MIN
        A ZMPOP 1 myzset COUNT
        A ZMPOP 1 myzset MAX COUNT 1 COUNT 2
        A ZMPOP 2 myzset myzset2 bad_arg
        A ZMPOP 1 myzset MIN COUNT 0
        A ZMPOP 1 myzset MAX COUNT a
        A ZMPOP 1 myzset MIN COUNT -1
        A ZMPOP 2 myzset myzset2 MAX COUNT -1
        """, arguments: ["--enable-debug-command", "yes"])
    }

    func testSortFromRedisSuite() throws {
        try ClientScript.compare("""
        --- sort misc
        A LPUSH mylist 2
        A LPUSH mylist 1
        A LPUSH mylist 3
        A LPUSH mylist 10
        A SORT mylist alpha
        A ZADD zset 1 a 5 b 2 c 10 d 3 e
        A SORT zset alpha desc
        A SORT zset
        A SORT zset BY nosort
        A SORT zset BY nosort DESC LIMIT 1 2
        A FLUSHDB
        A LPUSH fl 1.1 5.10 3.10 7.44 2.1 5.75 6.12 0.25 1.15
        A SORT fl
        A SORT foo store bar
        A LPUSH foo bar
        A SORT foo alpha limit 10 10 store zap
        A EXISTS zap
        A SORT emptylist store foo
        A EXISTS foo
        A SADD myset a b c d e f g h i l m n o p q r s t u v z aa aaa azz
        A SORT myset alpha by _ store mylist2
        A LRANGE mylist2 0 -1
        A SADD badset 1 2 3 4 not-a-double
        A SORT badset
        A SADD numset 1 2 3 4
        A MSET score:1 10 score:2 20 score:3 30 score:4 not-a-double
        A SORT numset by score:*
        A SORT myset by score:*
        A DEL mylist
        A LPUSH mylist a
        A SET x:a-> 100
        A SORT mylist by num get x:*->
        A SORT mylist get x:*->
        A SORT mylist get x:*->weight
        A SORT mylist LIMIT 0 -1
        A SORT mylist LIMIT -1 1
        A SORT mylist LIMIT 1
        A SORT mylist STORE
        A SORT mylist GET
        A SORT mylist BY
        A SORT_RO mylist STORE x
        A SET str x
        A SORT str
        A SORT mylist BY weight_* GET # ALPHA DESC ASC
        """, arguments: ["--enable-debug-command", "yes"])
    }
}
