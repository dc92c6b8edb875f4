/// Command scripts run against Cairn and redis-server alike; every reply must match byte
/// for byte. One command a line, words split on spaces, "double quotes" for spaces and
/// escapes. Each script starts from an empty server (FLUSHALL, SELECT 0).
/// Lines avoid what differs by design or by clock: run ids, client ids, timings, key order
/// of KEYS/SCAN (compared sorted elsewhere), relative TTLs read in milliseconds.
enum DifferentialScripts {
    static let strings = """
    SET k v
    GET k
    GET missing
    SET k v2 NX
    SET k v3 XX
    GET k
    SET new v NX
    SET new2 v XX
    GET new2
    SET k v4 GET
    SET nokey v GET
    SET k v NX XX
    SET k v XX NX
    SET k v EX 10 PX 100
    SET k v KEEPTTL EX 10
    SET k v EX 0
    SET k v EX -1
    SET k v EX abc
    SET k v PX 0
    SET k v EXAT 0
    SET k v EX 9223372036854775807
    SET k v PX 9223372036854775807
    SET k v BADOPT
    SET k v EX
    SET k v NX GET
    SET k v EX 100
    TTL k
    SET k v2 KEEPTTL
    TTL k
    SET k v3
    TTL k
    SET k v EXAT 4102444800
    EXPIRETIME k
    SET k v PXAT 4102444800123
    PEXPIRETIME k
    EXPIRETIME k
    SET
    SET k
    GET
    GET a b
    SETNX k2 a
    SETNX k2 b
    GET k2
    SETEX k3 100 val
    TTL k3
    SETEX k3 0 val
    SETEX k3 -5 val
    SETEX k3 abc val
    PSETEX k4 100000 val
    GET k4
    PSETEX k4 0 val
    GETSET k2 newval
    GETSET nope x
    GET nope
    GETDEL k2
    GETDEL k2
    EXISTS k2
    SET e v EX 100
    GETEX e PERSIST
    TTL e
    GETEX e EX 200
    TTL e
    GETEX e PX 0
    GETEX e EXAT 1
    EXISTS e
    GETEX missing EX 10
    GETEX k EX 10 PX 10
    GETEX k FOO
    GETEX k KEEPTTL
    MSET a 1 b 2 c 3
    MGET a b c d
    MSET a 1 b
    MSETNX a 1 z 2
    MSETNX y 1 z 2
    MGET y z
    APPEND ap hello
    APPEND ap " world"
    GET ap
    STRLEN ap
    STRLEN nokey
    SET num 123
    APPEND num 4
    GET num
    STRLEN num
    GETRANGE ap 0 4
    GETRANGE ap -5 -1
    GETRANGE ap 5 2
    GETRANGE ap -1 -5
    GETRANGE ap 0 -1
    GETRANGE ap 100 200
    GETRANGE ap -100 100
    GETRANGE ap a b
    GETRANGE nokey 0 10
    SUBSTR ap 0 2
    SETRANGE sr 5 hi
    GET sr
    SETRANGE sr 0 HELLO
    GET sr
    SETRANGE sr -1 x
    SETRANGE sr 0 ""
    SETRANGE empty 3 ""
    EXISTS empty
    SETRANGE sr 536870912 x
    SETRANGE sr abc x
    INCR cnt
    INCR cnt
    INCRBY cnt 10
    DECR cnt
    DECRBY cnt 5
    INCRBY cnt abc
    INCRBY cnt 1.5
    SET big 9223372036854775807
    INCR big
    SET small -9223372036854775808
    DECR small
    DECRBY cnt -9223372036854775808
    INCRBY cnt 9223372036854775807
    SET str abc
    INCR str
    SET sp " 1"
    INCR sp
    SET lz 01
    INCR lz
    SET f 10.5
    INCRBYFLOAT f 0.1
    INCRBYFLOAT f -5
    INCRBYFLOAT f 1e3
    INCRBYFLOAT f abc
    INCRBYFLOAT str 1
    INCRBYFLOAT newf 3.0e3
    INCRBYFLOAT newf 1.5e-3
    INCRBYFLOAT f inf
    INCRBYFLOAT f nan
    INCRBYFLOAT f " 1"
    SET f 5.0e3
    INCRBYFLOAT f 200
    OBJECT ENCODING f
    SET i 12345
    OBJECT ENCODING i
    SET e1 abcdefghijklmnopqrstuvwxyz
    OBJECT ENCODING e1
    SET r1 abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz
    OBJECT ENCODING r1
    APPEND i 6
    OBJECT ENCODING i
    OBJECT ENCODING nokey
    SET lcs1 ohmytext
    SET lcs2 mynewtext
    LCS lcs1 lcs2
    LCS lcs1 lcs2 LEN
    LCS lcs1 lcs2 IDX
    LCS lcs1 lcs2 IDX MINMATCHLEN 4
    LCS lcs1 lcs2 IDX MINMATCHLEN 4 WITHMATCHLEN
    LCS lcs1 lcs2 IDX WITHMATCHLEN
    LCS lcs1 lcs2 LEN IDX
    LCS lcs1 lcs2 FOO
    LCS lcs1 nokey
    LCS nokey1 nokey2 LEN
    LCS lcs1 lcs2 MINMATCHLEN
    LCS lcs1 lcs2 MINMATCHLEN x
    """

    static let keys = """
    SET a 1
    SET b 2
    SET c 3
    DEL a b nokey
    DEL a
    EXISTS a b c c c
    UNLINK c
    EXISTS c
    SET a 1
    TYPE a
    TYPE nokey
    TOUCH a nokey a
    RENAME a b
    GET b
    GET a
    RENAME nokey x
    RENAME b b
    RENAMENX b b
    SET c 3
    RENAMENX b c
    RENAMENX b d
    GET d
    SET t v EX 100
    RENAME t t2
    TTL t2
    EXISTS t
    COPY d d2
    GET d2
    COPY d d2
    COPY d d2 REPLACE
    COPY d d
    COPY d d DB 1
    COPY d d DB 99
    COPY d d DB abc
    COPY d d FOO
    COPY nokey x
    COPY t2 t3
    TTL t3
    SELECT 1
    GET d
    DBSIZE
    SELECT 0
    MOVE d 1
    MOVE d 1
    MOVE d2 0
    MOVE d2 99
    MOVE d2 abc
    MOVE nokey 1
    SELECT 1
    GET d
    FLUSHDB
    DBSIZE
    SELECT 0
    SET x 1
    EXPIRE x 100
    TTL x
    EXPIRE x 100 NX
    EXPIRE x 200 XX
    TTL x
    EXPIRE x 50 GT
    EXPIRE x 500 GT
    TTL x
    EXPIRE x 600 LT
    EXPIRE x 10 LT
    TTL x
    EXPIRE x 10 NX XX
    EXPIRE x 10 GT LT
    EXPIRE x 10 FOO
    EXPIRE x abc
    EXPIRE x 9223372036854775807
    PEXPIRE x 9223372036854775807
    EXPIRE nokey 10
    PERSIST x
    PERSIST x
    TTL x
    EXPIRE x 10 XX
    EXPIRE x 10 GT
    EXPIRE x 10 LT
    TTL x
    PERSIST x
    EXPIREAT x 4102444800
    EXPIRETIME x
    PEXPIRETIME x
    PEXPIREAT x 4102444800500
    EXPIRETIME x
    PEXPIRETIME x
    EXPIRETIME nokey
    PEXPIRETIME nokey
    SET y 1
    EXPIRETIME y
    TTL y
    PTTL y
    TTL nokey
    PTTL nokey
    EXPIRE y -1
    EXISTS y
    SET y 1
    EXPIREAT y 1
    EXISTS y
    SET y 1
    PEXPIRE y 0
    GET y
    SELECT 99
    SELECT -1
    SELECT abc
    SELECT 15
    SELECT 0
    SWAPDB 0 1
    DBSIZE
    SWAPDB 0 1
    DBSIZE
    SWAPDB 0 99
    SWAPDB a 1
    SWAPDB 0 b
    FLUSHDB FOO
    FLUSHDB ASYNC
    FLUSHALL SYNC
    FLUSHALL SYNC ASYNC
    DBSIZE
    RANDOMKEY
    SET only 1
    RANDOMKEY
    KEYS *
    SCAN 0
    SCAN abc
    SCAN 0 COUNT 0
    SCAN 0 COUNT abc
    SCAN 0 FOO
    SCAN 0 MATCH o* COUNT 100
    SCAN 0 TYPE string
    SCAN 0 TYPE list
    SCAN 18446744073709551616
    OBJECT REFCOUNT only
    SET big 123456
    OBJECT REFCOUNT big
    OBJECT REFCOUNT nokey
    OBJECT FREQ only
    OBJECT FOO only
    OBJECT ENCODING
    OBJECT
    OBJECT HELP
    OBJECT IDLETIME nokey
    """

    static let edges = """
    SET k v ex 100 nx
    SET k v Px 100 xX
    SET k v pxat 1 xx
    GET k
    SET k v EXAT 9223372036854775807
    SET k v PXAT 9223372036854775807
    TTL k
    SET k v EXAT 9223372036854776
    SET k v EX 9223372036854776
    SET k v PX -9223372036854775808
    SET "" empty
    GET ""
    STRLEN ""
    SET k hello
    GETRANGE k 0 9223372036854775807
    GETRANGE k -9223372036854775808 -1
    GETRANGE k -9223372036854775808 9223372036854775807
    GETRANGE k 9223372036854775807 0
    GETRANGE k 1 1
    GETRANGE k -1 -1
    GETRANGE k 5 5
    GETRANGE k 4 4
    SETRANGE k 9223372036854775807 x
    SETRANGE k 2 "\\n\\r"
    GET k
    SETRANGE k 0 9223372036854775808
    INCRBYFLOAT g 1.0e20
    INCRBYFLOAT g 1e-20
    INCRBYFLOAT h -0.0
    GET h
    INCRBYFLOAT h 0.1
    INCRBYFLOAT h 0.1
    INCRBYFLOAT h 0.1
    INCRBYFLOAT h -0.3
    INCRBYFLOAT h 1.7976931348623157e308
    INCRBYFLOAT h 1.7976931348623157e309
    INCRBYFLOAT h 0x10
    INCRBYFLOAT h 1e
    INCRBYFLOAT h ""
    SET n 10
    INCRBYFLOAT n 5
    OBJECT ENCODING n
    INCRBY n -9223372036854775808
    INCRBY n 9223372036854775807
    INCRBY n 00
    INCRBY n -0
    INCRBY n 1a
    DECRBY n 9223372036854775807
    DECRBY n -9223372036854775807
    SET n 9223372036854775807
    INCRBYFLOAT n 1
    SET n 12345678901234567890
    INCR n
    OBJECT ENCODING n
    SET n -1
    OBJECT REFCOUNT n
    SET n 9999
    OBJECT REFCOUNT n
    SET n 10000
    OBJECT REFCOUNT n
    MSET dup 1 dup 2
    GET dup
    MSETNX dup 3 dup 4
    MGET dup dup nokey
    APPEND n ""
    GET n
    APPEND fresh 123
    OBJECT ENCODING fresh
    LCS "" ""
    SET e1 ""
    LCS e1 e1
    LCS e1 e1 IDX
    SET a1 abcabcabc
    SET b1 xbcyabcz
    LCS a1 b1 IDX WITHMATCHLEN
    LCS a1 b1 IDX MINMATCHLEN -5
    LCS a1 b1 LEN
    SET x 1
    EXPIRE x -9223372036854775808
    EXPIRE x 9223372036854775
    PEXPIRE x 9223372036854775807
    PEXPIREAT x 9223372036854775807
    PEXPIRETIME x
    SET y 1
    EXPIREAT y 9223372036854775807
    EXPIREAT y 9223372036854775
    EXPIRETIME y
    PEXPIRE y 1000 gt
    PEXPIRE y 1000 lt
    PEXPIRE y 1000 nx
    PEXPIRE y 1000 xx xx
    EXPIRE y 100 LT GT
    SET z 1 PX 1499
    TTL z
    RENAME y z
    EXPIRETIME z
    SET w 1
    COPY z w REPLACE
    EXPIRETIME w
    SELECT "1 "
    SELECT 01
    SELECT 2147483648
    SELECT -2147483649
    MOVE w 2147483648
    EXISTS
    DEL
    KEYS
    KEYS a b
    TYPE
    RENAME a
    EXPIRE a
    OBJECT ENCODING a b
    OBJECT HELP extra
    SCAN 0 COUNT 9223372036854775807 MATCH zz*
    SCAN 0 COUNT -1
    SCAN 0 MATCH
    SCAN " 0"
    FLUSHALL
    MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10
    DBSIZE
    MGET a b c d e f g h i j k
    KEYS [a]
    KEYS \\a
    SCAN 0 MATCH [j] COUNT 1000
    SCAN 0 TYPE STRING MATCH a COUNT 1000
    EXISTS a a a a
    TOUCH a b zz
    DEL a b zz a
    """

    static let hashes = """
    HSET h f1 v1
    HSET h f1 v1b f2 v2 f3 v3
    HSET h f4
    HSET h
    HMSET h f5 v5 f6 v6
    HMSET h f7
    HGET h f1
    HGET h nope
    HGET nokey f1
    HMGET h f1 nope f2
    HMGET nokey a b
    HGETALL h
    HGETALL nokey
    HKEYS h
    HVALS h
    HLEN h
    HLEN nokey
    HSTRLEN h f1
    HSTRLEN h nope
    HEXISTS h f2
    HEXISTS h nope
    HEXISTS nokey f
    HSETNX h f1 x
    HSETNX h f9 v9
    HGET h f9
    HDEL h f9 nope
    HDEL h nope
    HDEL nokey f
    OBJECT ENCODING h
    TYPE h
    SET s str
    HSET s f v
    HGET s f
    HGETALL s
    HLEN s
    GET h
    APPEND h x
    INCR h
    HINCRBY c n 5
    HINCRBY c n -10
    HINCRBY c n abc
    HINCRBY c n 1.5
    HINCRBY h f1 1
    HINCRBY c n 9223372036854775807
    HSET c big 9223372036854775807
    HINCRBY c big 1
    HINCRBY c big -1
    HSET c small -9223372036854775808
    HINCRBY c small -1
    HINCRBYFLOAT c fl 1.5
    HINCRBYFLOAT c fl 0.1
    HINCRBYFLOAT c n 2.5
    HINCRBYFLOAT c fl abc
    HINCRBYFLOAT c fl inf
    HINCRBYFLOAT c fl nan
    HINCRBYFLOAT h f1 1
    HINCRBYFLOAT c fl 1e308
    HINCRBYFLOAT c fl 1e308
    HLEN c
    HINCRBY s f 1
    HINCRBYFLOAT s f 1
    HDEL c n fl big small
    EXISTS c
    HDEL c n
    EXISTS c
    HRANDFIELD nokey
    HRANDFIELD nokey 5
    HRANDFIELD h 0
    HRANDFIELD h abc
    HRANDFIELD h 1 FOO
    HRANDFIELD h 1 WITHVALUES extra
    HRANDFIELD h -9223372036854775808
    HRANDFIELD h 9223372036854775807 WITHVALUES
    HRANDFIELD s 1
    HSET one only value
    HRANDFIELD one
    HRANDFIELD one 3
    HRANDFIELD one -3
    HRANDFIELD one -2 WITHVALUES
    HRANDFIELD one 1 WITHVALUES
    HSCAN h 0
    HSCAN h 0 MATCH f[12]
    HSCAN h 0 COUNT 0
    HSCAN h abc
    HSCAN nokey 0
    HSCAN s 0
    HSCAN h 0 FOO bar
    COPY h h2
    HSET h2 extra e
    HLEN h
    HLEN h2
    RENAME h2 h3
    HGETALL h3
    HSET big f1 0123456789012345678901234567890123456789012345678901234567890123
    OBJECT ENCODING big
    HSET big f2 01234567890123456789012345678901234567890123456789012345678901234
    OBJECT ENCODING big
    HGET big f2
    HSTRLEN big f2
    CONFIG SET hash-max-listpack-entries 2
    HSET small a 1 b 2
    OBJECT ENCODING small
    HSET small c 3
    OBJECT ENCODING small
    HLEN small
    HDEL small a b c
    EXISTS small
    CONFIG SET hash-max-listpack-entries 512
    HSCAN nokey 0 MATCH
    HSCAN nokey "" COUNT 0
    HSCAN nokey x
    SET hstr text
    HSCAN hstr 0 BAD
    HRANDFIELD nokey 1.5 BAD
    HRANDFIELD nokey 1 BAD
    HRANDFIELD hstr x WITHVALUES extra
    """

    /// Integer members keep the intset encoding, whose order (ascending) Redis and Cairn share.
    static let sets = """
    SADD s 3 1 2
    SADD s 2 4
    SADD s
    SMEMBERS s
    SMEMBERS nokey
    SCARD s
    SCARD nokey
    SISMEMBER s 1
    SISMEMBER s 9
    SISMEMBER s abc
    SISMEMBER nokey 1
    SMISMEMBER s 1 9 abc 4
    SMISMEMBER nokey 1
    SMISMEMBER s
    SREM s 9
    SREM s 4 3
    SREM nokey 1
    SMEMBERS s
    OBJECT ENCODING s
    TYPE s
    SADD s -5 100000 70000 -2147483649
    SMEMBERS s
    OBJECT ENCODING s
    SADD t 2 5 100000
    SINTER s t
    SINTER s nokey
    SINTER nokey s
    SUNION s t
    SUNION s nokey
    SDIFF s t
    SDIFF t s
    SDIFF nokey s
    SINTERSTORE d s t
    SMEMBERS d
    SUNIONSTORE d s t
    SMEMBERS d
    SDIFFSTORE d s t
    SMEMBERS d
    SINTERSTORE d s nokey
    EXISTS d
    SDIFFSTORE d nokey s
    EXISTS d
    SINTERCARD 2 s t
    SINTERCARD 2 s t LIMIT 1
    SINTERCARD 2 s t LIMIT 0
    SINTERCARD 0 s
    SINTERCARD 3 s t
    SINTERCARD 1 s LIMIT -1
    SINTERCARD 1 s LIMIT abc
    SINTERCARD 1 s FOO
    SINTERCARD abc s
    SINTERCARD 1 s LIMIT
    SINTERCARD 1 nokey
    SET str x
    SADD str 1
    SMEMBERS str
    SCARD str
    SISMEMBER str 1
    SINTER s str
    SINTER nokey str
    SUNION nokey str
    SDIFF nokey str
    SINTERSTORE d2 str s
    SINTERCARD 2 s str
    SMOVE s t 1
    SMOVE s t 999
    SMOVE nokey str 1
    SMOVE s str 2
    SMOVE str s 1
    SMOVE s s 2
    SMOVE s s 999
    SMEMBERS s
    SMEMBERS t
    SMOVE s newset 2
    SMEMBERS newset
    SPOP s -1
    SPOP s abc
    SPOP nokey
    SPOP nokey 2
    SPOP s 0
    SPOP s 1 2
    SPOP str
    SADD one 7
    SPOP one
    EXISTS one
    SADD two 7 8
    SPOP two 5
    EXISTS two
    SRANDMEMBER nokey
    SRANDMEMBER nokey 3
    SRANDMEMBER s abc
    SRANDMEMBER s -9223372036854775808
    SRANDMEMBER s 1 2
    SRANDMEMBER s 0
    SRANDMEMBER str
    SADD single 42
    SRANDMEMBER single
    SRANDMEMBER single 5
    SRANDMEMBER single -3
    SSCAN s 0
    SSCAN s 0 MATCH 1*
    SSCAN s abc
    SSCAN nokey 0
    SSCAN str 0
    SSCAN s 0 COUNT 0
    COPY t t2
    SADD t2 12345
    SCARD t
    SCARD t2
    SMEMBERS t
    SREM t2 2
    SMEMBERS t
    SMEMBERS t2
    SADD timed 1 2 3
    EXPIRE timed 100
    SADD timed 4 40000
    SREM timed 1
    SMOVE timed t 3
    SMOVE t timed 12345
    SMOVE t timed 5
    SMEMBERS timed
    OBJECT ENCODING timed
    TTL timed
    SADD timed word
    OBJECT ENCODING timed
    TTL timed
    SCARD timed
    SADD strs apple
    OBJECT ENCODING strs
    SMEMBERS strs
    SREM strs apple
    EXISTS strs
    CONFIG SET set-max-intset-entries 2
    SADD few 1 2
    OBJECT ENCODING few
    SADD few 3
    OBJECT ENCODING few
    CONFIG SET set-max-intset-entries 512
    SSCAN nokey 0 MATCH
    SSCAN nokey "" BAD option
    SET sstr text
    SSCAN sstr 0 BAD
    SSCAN sstr bad
    """

    static let lists = """
    RPUSH l a b c
    LPUSH l z y
    RPUSH l
    LRANGE l 0 -1
    LRANGE l 1 2
    LRANGE l -2 -1
    LRANGE l 3 1
    LRANGE l 10 20
    LRANGE l -100 100
    LRANGE l a b
    LRANGE nokey 0 -1
    LLEN l
    LLEN nokey
    LINDEX l 0
    LINDEX l -1
    LINDEX l 99
    LINDEX l -99
    LINDEX l abc
    LINDEX nokey 0
    LPUSHX nokey a
    RPUSHX nokey a
    EXISTS nokey
    LPUSHX l x0
    RPUSHX l x9 x10
    LPOP l
    RPOP l
    LPOP l 2
    RPOP l 0
    LPOP l -1
    LPOP l abc
    LPOP l 1 2
    LPOP nokey
    LPOP nokey 2
    LPOP nokey 0
    LRANGE l 0 -1
    LSET l 0 first
    LSET l -1 last
    LSET l 99 x
    LSET nokey 0 x
    LSET l abc x
    LRANGE l 0 -1
    LINSERT l BEFORE b before-b
    LINSERT l after b after-b
    LINSERT l middle b x
    LINSERT l before nothere x
    LINSERT nokey before a x
    LRANGE l 0 -1
    RPUSH r a b a c a d a
    LREM r 2 a
    LRANGE r 0 -1
    LREM r -1 a
    LRANGE r 0 -1
    LREM r 0 a
    LRANGE r 0 -1
    LREM r 0 zz
    LREM r abc a
    LREM nokey 0 a
    LREM r 0 b
    LREM r 0 c
    LREM r 0 d
    EXISTS r
    RPUSH t 1 2 3 4 5 6 7
    LTRIM t 1 -2
    LRANGE t 0 -1
    LTRIM t -100 100
    LRANGE t 0 -1
    LTRIM t 3 1
    EXISTS t
    LTRIM nokey 0 1
    LTRIM t abc 1
    RPUSH p a b c 1 2 3 c c
    LPOS p c
    LPOS p c RANK 2
    LPOS p c RANK -1
    LPOS p c RANK -2
    LPOS p c COUNT 0
    LPOS p c COUNT 2
    LPOS p c RANK 2 COUNT 0
    LPOS p c RANK -1 COUNT 2
    LPOS p c MAXLEN 3
    LPOS p c MAXLEN 2
    LPOS p c COUNT 0 MAXLEN 7
    LPOS p zz
    LPOS p zz COUNT 0
    LPOS nokey a
    LPOS nokey a COUNT 1
    LPOS p a RANK 0
    LPOS p a RANK -9223372036854775808
    LPOS p a COUNT -1
    LPOS p a MAXLEN -1
    LPOS p a FOO
    LPOS p a RANK
    LPOS p a RANK abc
    RPUSH m1 a b c
    LMOVE m1 m2 LEFT RIGHT
    LMOVE m1 m2 RIGHT LEFT
    LMOVE m1 m2 UP LEFT
    LRANGE m1 0 -1
    LRANGE m2 0 -1
    LMOVE m1 m1 LEFT RIGHT
    LRANGE m1 0 -1
    LMOVE nokey m2 LEFT LEFT
    RPOPLPUSH m2 m1
    RPOPLPUSH m2 m1
    RPOPLPUSH m2 m1
    EXISTS m2
    LRANGE m1 0 -1
    SET str x
    LMOVE m1 str LEFT LEFT
    LMOVE str m1 LEFT LEFT
    LPUSH str a
    LRANGE str 0 1
    LLEN str
    LPOP str
    LINDEX str 0
    LPOS str a
    LMPOP 1 nokey LEFT
    LMPOP 2 nokey m1 LEFT
    LMPOP 2 nokey m1 RIGHT COUNT 2
    LMPOP 1 m1 LEFT COUNT 10
    EXISTS m1
    LMPOP 0 m1 LEFT
    LMPOP abc m1 LEFT
    LMPOP 2 m1 LEFT
    LMPOP 1 m1 MIDDLE
    LMPOP 1 m1 LEFT COUNT 0
    LMPOP 1 m1 LEFT COUNT -1
    LMPOP 1 m1 LEFT FOO
    LMPOP 1 str LEFT
    RPUSH b1 x y
    BLPOP nokey b1 0
    BRPOP b1 0
    EXISTS b1
    BLPOP b1 abc
    BLPOP b1 -1
    BLPOP b1 inf
    BRPOP b1 1e1000
    BLPOP b1 -inf
    BLPOP b1 nan
    BLPOP b1 9300000000000000
    BLPOP b1 0.01
    BRPOP b1 b2 0.01
    BLPOP str 0
    RPUSH b3 1 2 3
    BLMOVE b3 b4 LEFT RIGHT 0
    BLMOVE b3 b4 UP RIGHT 0
    BLMOVE b3 b4 LEFT RIGHT abc
    BRPOPLPUSH b3 b4 0
    LRANGE b4 0 -1
    BLMOVE nokey b4 LEFT LEFT 0.01
    BRPOPLPUSH nokey b4 0.01
    BLMPOP 0 2 nokey b4 LEFT COUNT 5
    BLMPOP 0.01 1 nokey LEFT
    BLMPOP abc 1 b4 LEFT
    BLMPOP 0 0 b4 LEFT
    BLMPOP -1 1 b4 LEFT
    OBJECT ENCODING p
    TYPE p
    COPY p p2
    RPUSH p2 extra
    LLEN p
    LLEN p2
    LINDEX nokey abc
    SET lstr text
    LINDEX lstr abc
    LPOS l a COUNT x
    LPOS l a MAXLEN x
    LPOS l a RANK x
    LPOS l a COUNT -1
    LPOS nokey a COUNT x
    LMPOP 9223372036854775807 l LEFT
    LMPOP 3 l LEFT
    LMPOP 0 l LEFT
    CONFIG SET list-max-listpack-size -6
    CONFIG GET list-max-listpack-size
    CONFIG SET list-max-ziplist-size -2147483648
    CONFIG GET list-max-listpack-size
    RPUSH bigfill a b c
    LRANGE bigfill 0 -1
    CONFIG SET list-max-listpack-size -2
    CLIENT UNBLOCK 1 TIMEOUT extra
    CLIENT UNBLOCK abc
    CLIENT UNBLOCK 999999 error
    """

    static let sort = """
    RPUSH l 3 1 2 10 -5 2.5
    SADD s b a c
    SET str x
    RPUSH w a 1.5 b
    SORT l
    SORT l DESC
    SORT l ASC
    SORT s ALPHA
    SORT s ALPHA DESC
    SORT s
    SORT str
    SORT nokey
    RPUSH strtod "" 3 " 1" 2 " -inf" 0x10 1e3 infinity
    SORT strtod
    SORT strtod DESC LIMIT 0 3
    RPUSH trailing "2 " 5
    SORT trailing
    RPUSH blank "  " 5
    SORT blank
    SADD emptymember "" 4
    SORT emptymember
    SORT w
    SORT w ALPHA
    SORT l LIMIT 1 2
    SORT l LIMIT 5 1
    SORT l LIMIT 50 1
    SORT l LIMIT -1 -1
    SORT l LIMIT 0 0
    SORT l LIMIT 2 -1
    SORT l LIMIT a b
    SORT l BY nosort
    SORT s BY nosort STORE d
    LRANGE d 0 -1
    SORT_RO l STORE d
    SORT l GET # GET nokey_*
    SORT l FOO
    SORT l LIMIT 1
    SORT l STORE
    SORT l BY w_* ALPHA
    MSET weight_a 3 weight_b 1 weight_c 2 obj_a A obj_b B obj_c C
    SORT s BY weight_*
    SORT s BY weight_* DESC GET obj_* GET #
    SORT s BY weight_* GET obj_* STORE sorted
    LRANGE sorted 0 -1
    HSET h_a f 9 name x
    HSET h_b f 7 name y
    HSET h_c f 8
    SORT s BY h_*->f GET h_*->name GET #
    SORT s BY h_*->f DESC LIMIT 0 2
    SET weight_c notanumber
    SORT s BY weight_*
    SORT s BY weight_* ALPHA
    SORT l STORE l
    LRANGE l 0 -1
    SORT nokey STORE sorted
    EXISTS sorted
    RPUSH ties b a c
    SORT ties BY nokey_* ALPHA
    SORT ties BY nokey_*
    ZADD zs 3 c 1 b 2 a
    SORT zs ALPHA
    SORT zs BY nosort
    SORT zs BY nosort LIMIT 1 1
    SORT zs BY nosort DESC
    # Last: Redis does not clear errno before its strtod, so after an out-of-range weight
    # its later numeric SORTs fail too (a bug Cairn does not copy).
    RPUSH tiny 1e-310 5
    SORT tiny
    RPUSH huge 1e400 5
    SORT huge
    """

    static let sortedSets = """
    ZADD z 1 a 2 b 3 c
    ZADD z 1.5 d -1 e
    ZADD z
    ZADD z 1
    ZADD z abc a
    ZADD z NX XX 1 a
    ZADD z GT LT 1 a
    ZADD z NX GT 1 a
    ZADD z INCR 1 a 2 b
    ZADD z NX 100 a 4 f
    ZADD z XX 100 a 5 g
    ZADD z XX CH 100 a 2 b
    ZADD z GT CH 50 a 200 a
    ZADD z LT 1 a
    ZADD z INCR 5 a
    ZADD z INCR NX 5 a
    ZADD z INCR XX 5 nonexisting
    ZADD z INCR GT -100 a
    ZADD nokey XX 1 a
    ZADD nokey XX INCR 1 a
    EXISTS nokey
    ZADD z inf infmember -inf neginf
    ZADD z INCR -inf infmember
    ZADD z nan x
    ZRANGE z 0 -1 WITHSCORES
    ZRANGE z 0 -1 BYSCORE BYLEX
    ZRANGE z 0 -1 BYSCORE BYSCORE
    ZRANGE z 0 -1 REV REV
    ZRANGEBYLEX z - + WITHSCORES
    ZREVRANGEBYLEX z + - LIMIT 0 1 WITHSCORES
    ZREVRANGE z 0 1 LIMIT 0 1
    ZMPOP 1 z MAX COUNT 1 COUNT 2
    LMPOP 1 nolist LEFT COUNT 1 COUNT 2
    ZRANGESTORE zdst z 0 -1 BYLEX BYSCORE
    ZCARD z
    ZCARD nokey
    ZSCORE z a
    ZSCORE z nope
    ZSCORE nokey a
    ZMSCORE z a nope b
    ZMSCORE nokey a
    ZRANK z a
    ZRANK z nope
    ZREVRANK z a
    ZRANK nokey a
    ZINCRBY z 2.5 b
    ZINCRBY z abc b
    ZINCRBY z 1 newmember
    ZINCRBY z -inf neginf
    ZCOUNT z -inf +inf
    ZCOUNT z 1 3
    ZCOUNT z (1 3
    ZCOUNT z (1 (3
    ZCOUNT z 3 1
    ZCOUNT z a b
    ZCOUNT z ( 3
    ZCOUNT nokey 0 1
    ZRANGE z 0 2
    ZRANGE z -2 -1 WITHSCORES
    ZRANGE z 5 1
    ZRANGE z 0 -1 REV
    ZRANGE z 0 1 REV WITHSCORES
    ZRANGE z 1 3 BYSCORE
    ZRANGE z (1 +inf BYSCORE WITHSCORES
    ZRANGE z +inf -inf BYSCORE REV
    ZRANGE z 3 1 BYSCORE REV LIMIT 0 2
    ZRANGE z -inf +inf BYSCORE LIMIT 1 2
    ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
    ZRANGE z -inf +inf BYSCORE LIMIT -1 2
    ZRANGE z 0 -1 LIMIT 0 1
    ZRANGE z - + BYLEX WITHSCORES
    ZRANGE z a b FOO
    ZRANGE z a b BYSCORE
    ZRANGE nokey 0 -1
    ZREVRANGE z 0 -1
    ZREVRANGE z 0 1 WITHSCORES
    ZREVRANGE z 0 1 LIMIT 0 1
    ZRANGEBYSCORE z 1 3
    ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 3
    ZRANGEBYSCORE z (1 3
    ZRANGEBYSCORE z abc 3
    ZREVRANGEBYSCORE z 3 1
    ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 2
    ZREVRANGEBYSCORE z 1 3
    ZADD lex 0 a 0 b 0 c 0 d 0 e 0 ff
    ZRANGEBYLEX lex - +
    ZRANGEBYLEX lex [b (e
    ZRANGEBYLEX lex (b [ff
    ZRANGEBYLEX lex [c +
    ZRANGEBYLEX lex - + LIMIT 1 2
    ZRANGEBYLEX lex a b
    ZRANGEBYLEX lex [e [b
    ZREVRANGEBYLEX lex + -
    ZREVRANGEBYLEX lex (e [b
    ZREVRANGEBYLEX lex + - LIMIT 0 3
    ZRANGE lex [b [d BYLEX
    ZRANGE lex [d [b BYLEX REV
    ZLEXCOUNT lex - +
    ZLEXCOUNT lex [b (e
    ZLEXCOUNT lex a b
    ZLEXCOUNT nokey - +
    ZRANGESTORE dst z 0 2
    ZRANGE dst 0 -1 WITHSCORES
    ZRANGESTORE dst z 1 3 BYSCORE
    ZRANGESTORE dst lex [b [c BYLEX
    ZRANGE dst 0 -1
    ZRANGESTORE dst nokey 0 -1
    EXISTS dst
    ZRANGESTORE dst z 0 -1 WITHSCORES
    ZREMRANGEBYRANK lex 0 1
    ZRANGE lex 0 -1
    ZREMRANGEBYLEX lex [d +
    ZRANGE lex 0 -1
    ZREMRANGEBYLEX lex a b
    ZREMRANGEBYSCORE z 1 2
    ZRANGE z 0 -1
    ZREMRANGEBYSCORE z abc 1
    ZREMRANGEBYRANK z abc 1
    ZREMRANGEBYRANK nokey 0 1
    ZPOPMIN z
    ZPOPMAX z
    ZPOPMIN z 2
    ZPOPMAX z 0
    ZPOPMIN z -1
    ZPOPMIN z abc
    ZPOPMIN z 1 2
    ZPOPMIN nokey
    ZPOPMIN nokey 2
    ZADD m1 1 a 2 b 3 c
    ZMPOP 1 m1 MIN
    ZMPOP 2 nokey m1 MAX COUNT 5
    EXISTS m1
    ZMPOP 1 nokey MIN
    ZMPOP 0 m1 MIN
    ZMPOP 1 m1 MIDDLE
    ZMPOP 1 m1 MIN COUNT 0
    ZMPOP abc m1 MIN
    ZADD r 1 only
    ZRANDMEMBER r
    ZRANDMEMBER r 3
    ZRANDMEMBER r -2 WITHSCORES
    ZRANDMEMBER r 1 WITHSCORES
    ZRANDMEMBER r 1 FOO
    ZRANDMEMBER nokey
    ZRANDMEMBER nokey 5
    ZRANDMEMBER r abc
    ZSCAN r 0
    ZSCAN nokey 0
    ZSCAN r abc
    SET str x
    ZADD str 1 a
    ZRANGE str 0 -1
    ZSCORE str a
    ZCARD str
    ZPOPMIN str
    ZREM z nope
    ZREM nokey a
    OBJECT ENCODING r
    TYPE r
    ZADD big 1 0123456789012345678901234567890123456789012345678901234567890123456789
    OBJECT ENCODING big
    CONFIG SET zset-max-listpack-entries 2
    ZADD few 1 a 2 b
    OBJECT ENCODING few
    ZADD few 3 c
    OBJECT ENCODING few
    ZRANGE few 0 -1 WITHSCORES
    ZRANK few c
    ZREVRANK few a
    CONFIG SET zset-max-listpack-entries 128
    ZADD sc 0.1 a 1e20 b -0.0 c 3.0 d 1.5e-300 e
    ZRANGE sc 0 -1 WITHSCORES
    ZSCORE sc a
    ZINCRBY sc 0.2 a
    ZADD u1 1 a 2 b 3 c
    ZADD u2 10 b 20 c 30 d
    SADD us x b
    ZUNION 2 u1 u2
    ZUNION 2 u1 u2 WITHSCORES
    ZUNION 3 u1 u2 us WITHSCORES
    ZUNION 2 u1 u2 WEIGHTS 2 0.5 WITHSCORES
    ZUNION 2 u1 u2 AGGREGATE MIN WITHSCORES
    ZUNION 2 u1 u2 AGGREGATE MAX WITHSCORES
    ZUNION 2 u1 u2 AGGREGATE FOO
    ZUNION 2 u1 u2 WEIGHTS 1
    ZUNION 2 u1 u2 WEIGHTS 1 abc
    ZUNION 0 u1
    ZUNION 3 u1 u2
    ZUNION abc u1
    ZUNION 2 u1 nokey WITHSCORES
    ZUNION 2 u1 str
    ZINTER 2 u1 u2 WITHSCORES
    ZINTER 3 u1 u2 us WITHSCORES
    ZINTER 2 u1 u2 WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES
    ZINTER 2 u1 nokey
    ZDIFF 2 u1 u2 WITHSCORES
    ZDIFF 2 u2 u1
    ZDIFF 2 u1 u2 WEIGHTS 1 1
    ZDIFF 1 u1 AGGREGATE SUM
    ZUNIONSTORE dst 2 u1 u2
    ZRANGE dst 0 -1 WITHSCORES
    ZINTERSTORE dst 2 u1 u2 AGGREGATE MAX
    ZRANGE dst 0 -1 WITHSCORES
    ZDIFFSTORE dst 2 u1 u2
    ZRANGE dst 0 -1 WITHSCORES
    ZINTERSTORE dst 2 u1 nokey
    EXISTS dst
    ZUNIONSTORE dst 0 u1
    ZUNIONSTORE dst 1 u1 WITHSCORES
    ZADD infs inf a -inf b
    ZADD infs2 -inf a inf b
    ZUNION 2 infs infs2 WITHSCORES
    ZUNION 2 infs infs2 WEIGHTS 0 1 WITHSCORES
    ZINTERCARD 2 u1 u2
    ZINTERCARD 2 u1 u2 LIMIT 1
    ZINTERCARD 0 u1
    ZINTERCARD 3 u1 u2
    ZINTERCARD 1 u1 LIMIT -1
    ZINTERCARD 1 u1 FOO
    ZINTERCARD 2 u1 str
    BZPOPMIN u1 0
    BZPOPMAX nokey u1 0
    BZPOPMIN nokey 0.01
    BZPOPMIN u1 abc
    BZPOPMIN u1 -1
    BZPOPMIN str 0
    BZMPOP 0 2 nokey u2 MAX COUNT 2
    BZMPOP 0.01 1 nokey MIN
    BZMPOP abc 1 u2 MIN
    BZMPOP 0 0 u2 MIN
    ZINCRBY zneg -0 m
    ZSCORE zneg m
    ZINCRBY zneg NX m
    ZINCRBY zneg xx 1
    ZINCRBY zneg 1 NX
    SET zstr text
    ZDIFFSTORE zdst 2 zneg zstr BAD
    ZUNION 2 zneg zstr WEIGHTS x
    ZINTER 1 zstr AGGREGATE bad
    ZSCAN nokey 0 COUNT 0
    ZSCAN nokey ""
    ZSCAN zstr 0 BAD
    ZRANDMEMBER nokey x BAD
    ZRANDMEMBER nokey 1 BAD
    ZRANDMEMBER zstr 1 WITHSCORES extra
    """

    static let bitmaps = """
    SETBIT b 7 1
    GETBIT b 7
    GETBIT b 6
    GETBIT b 100
    GET b
    SETBIT b 7 1
    SETBIT b 7 0
    SETBIT b 100 1
    STRLEN b
    OBJECT ENCODING b
    SETBIT b -1 1
    SETBIT b abc 1
    SETBIT b 4294967296 1
    SETBIT b 1 2
    SETBIT b 1 -1
    SETBIT b 1 01
    GETBIT b -1
    GETBIT nokey 5
    SET s foobar
    BITCOUNT s
    BITCOUNT s 0 0
    BITCOUNT s 1 1
    BITCOUNT s 1 1 BYTE
    BITCOUNT s 5 30 BIT
    BITCOUNT s -2 -1
    BITCOUNT s -1 -2
    BITCOUNT s 0 100
    BITCOUNT s 0 -100
    BITCOUNT s 3 1
    BITCOUNT s 0
    BITCOUNT s 0 1 WORD
    BITCOUNT s a 1
    BITCOUNT nokey
    BITCOUNT nokey 0 1
    SET e ""
    BITCOUNT e
    BITPOS e 0
    BITPOS e 1
    SET z "\\xff\\xf0\\x00"
    BITPOS z 0
    BITPOS z 1
    BITPOS z 0 1
    BITPOS z 1 2
    BITPOS z 0 0 0
    BITPOS z 0 0 -1
    BITPOS z 1 7 15 BIT
    BITPOS z 0 0 7 BIT
    BITPOS z 0 2 -1 BYTE
    BITPOS z 1 2 -1 BYTE
    SET ones "\\xff\\xff"
    BITPOS ones 0
    BITPOS ones 0 0
    BITPOS ones 0 0 -1
    BITPOS ones 0 0 15 BIT
    BITPOS ones 0 3 BIT
    BITPOS ones 1 -1 -2
    BITPOS ones 2
    BITPOS ones x
    BITPOS ones 0 a
    BITPOS ones 0 0 1 FOO
    BITPOS nokey 0
    BITPOS nokey 1
    SET a "\\x0f\\xf0"
    SET c "\\xff"
    BITOP AND dest a c
    GET dest
    BITOP OR dest a c
    GET dest
    BITOP XOR dest a c nokey
    GET dest
    BITOP NOT dest a
    GET dest
    BITOP NOT dest a c
    BITOP FOO dest a
    BITOP AND dest nokey nokey2
    EXISTS dest
    BITOP AND dest nokey
    OBJECT ENCODING a
    LPUSH l x
    BITOP OR dest a l
    SETBIT l 0 1
    GETBIT l 0
    BITCOUNT l
    BITPOS l 0
    SET n 12345
    SETBIT n 0 1
    GET n
    SET t v EX 100
    BITOP OR t a
    TTL t
    """

    static let bitfields = """
    BITFIELD bf SET u8 0 255
    BITFIELD bf GET u8 0
    GET bf
    BITFIELD bf SET i8 0 -100 GET i8 0 GET u8 0
    BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
    BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
    BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
    BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
    BITFIELD bf OVERFLOW FAIL INCRBY u2 102 1
    BITFIELD bf OVERFLOW WRAP INCRBY i5 50 100
    BITFIELD bf OVERFLOW SAT INCRBY i5 50 100 INCRBY i5 50 -100
    BITFIELD bf OVERFLOW FAIL INCRBY i5 50 -100 GET i5 50
    BITFIELD bf SET u8 #1 200 GET u8 #1 GET u4 #2
    BITFIELD bf SET i64 64 -1 GET i64 64 GET u63 64 GET u63 65
    BITFIELD bf INCRBY i64 64 1 INCRBY i64 64 -1
    BITFIELD bf SET i64 128 9223372036854775807 INCRBY i64 128 1
    BITFIELD bf OVERFLOW SAT SET i64 128 9223372036854775807 INCRBY i64 128 1 INCRBY i64 128 -9223372036854775808
    BITFIELD bf OVERFLOW SAT SET u8 0 300 SET u8 8 -5 GET u8 0 GET u8 8
    BITFIELD bf OVERFLOW WRAP SET u8 0 300 SET u8 8 -5 SET i8 16 200 GET u8 0 GET u8 8 GET i8 16
    BITFIELD bf OVERFLOW FAIL SET u8 0 300 SET i8 16 200 SET i8 16 -128
    BITFIELD bf SET u63 0 9223372036854775807 GET u63 0
    BITFIELD bf SET u64 0 1
    BITFIELD bf SET i65 0 1
    BITFIELD bf SET i0 0 1
    BITFIELD bf SET x8 0 1
    BITFIELD bf GET u8 -1
    BITFIELD bf GET u8 #-1
    BITFIELD bf GET u8 abc
    BITFIELD bf GET u8 4294967296
    BITFIELD bf SET u8 0 abc
    BITFIELD bf OVERFLOW FOO
    BITFIELD bf FOO u8 0
    BITFIELD bf GET u8
    BITFIELD bf
    BITFIELD bf SET u8 0 1 GET u8
    BITFIELD nokey GET u8 0 GET i16 100
    EXISTS nokey
    BITFIELD nokey OVERFLOW SAT
    EXISTS nokey
    BITFIELD newkey SET u1 9 1
    GET newkey
    BITFIELD newkey SET u1 9 1
    BITFIELD_RO bf GET u8 0 GET i8 #1
    BITFIELD_RO bf SET u8 0 1
    BITFIELD_RO bf GET u8 0 INCRBY u8 0 1
    BITFIELD_RO nokey GET u8 0
    BITFIELD_RO bf
    LPUSH l x
    BITFIELD l GET u8 0
    BITFIELD l SET u8 0 1
    BITFIELD_RO l GET u8 0
    COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0
    COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0 SET u8 0 1
    COMMAND GETKEYSANDFLAGS BITFIELD k OVERFLOW SAT GET u8 0
    COMMAND GETKEYSANDFLAGS BITFIELD k FOO
    """

    /// Lua scripts: conversions both ways, redis.call and pcall, errors with their script
    /// and line, the sandbox, cjson and bit, EVALSHA and SCRIPT (not math.random: Redis 7.0's
    /// sequence runs on from script to script).
    /// FUNCTION and FCALL (Redis 7.0's functions): loading, the library API, the errors
    /// of each subcommand, FCALL's arguments and flags.
    static let functions = """
    FUNCTION FLUSH
    FUNCTION LIST
    FUNCTION LOAD "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys, #args} end)"
    FCALL f1 1 k v
    FCALL F1 0
    FCALL f1 x
    FCALL f1 -1
    FCALL f1 3 k
    FCALL nosuch 0
    FCALL_RO f1 0
    FUNCTION LOAD "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)"
    FUNCTION LOAD REPLACE "#!lua name=mylib\nredis.register_function{function_name='f1', callback=function(keys) return redis.call('set', keys[1], 'x') end, description='sets'}"
    FCALL f1 1 a
    GET a
    FCALL_RO f1 1 a
    FUNCTION LIST
    FUNCTION LIST WITHCODE
    FUNCTION LIST LIBRARYNAME my*
    FUNCTION LIST LIBRARYNAME nomatch*
    FUNCTION LIST LIBRARYNAME
    FUNCTION LIST foo
    FUNCTION LIST WITHCODE WITHCODE
    FUNCTION LOAD "#!lua name=ro\nredis.register_function{function_name='reader', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
    FCALL_RO reader 1 a
    FUNCTION LOAD "#!lua name=ro2\nredis.register_function{function_name='writer', callback=function(keys) return redis.call('set', keys[1], 'y') end, flags={'no-writes', 'allow-stale'}}"
    FCALL writer 1 a
    FUNCTION LIST LIBRARYNAME ro2
    FUNCTION LOAD "#!lua name=other\nredis.register_function('F1', function() return 2 end)"
    FUNCTION LOAD "#!lua name=other\nredis.register_function('a', function() return 2 end)\nredis.register_function('a', function() return 3 end)"
    FUNCTION LOAD "#!lua name=other\nredis.register_function('a-b', function() end)"
    FUNCTION LOAD "#!lua name=other\nredis.register_function('a', function() return 2 end)\nredis.register_function('A', function() return 3 end)"
    FUNCTION DELETE other
    FUNCTION LOAD "return 1"
    FUNCTION LOAD "#!lua"
    FUNCTION LOAD "#!lua\n"
    FUNCTION LOAD "#!lua name=x foo=bar\n"
    FUNCTION LOAD "#!lua name=x name=y\n"
    FUNCTION LOAD "#!lua name=bad-name\n"
    FUNCTION LOAD "#!LUA NAME=upper\nredis.register_function('u', function() return 'u' end)"
    FCALL u 0
    FUNCTION LOAD "#!js name=x\n"
    FUNCTION LOAD "#! name=x\n"
    FUNCTION LOAD "#!lua name=x\n"
    FUNCTION LOAD "#!lua name=x\nbad code here"
    FUNCTION LOAD "#!lua name=x\nredis.call('ping')"
    FUNCTION LOAD "#!lua name=x\nstring.len('a')"
    FUNCTION LOAD "#!lua name=x\nlocal s = redis.setresp"
    FUNCTION LOAD "#!lua name=x\nredis.foo = 1"
    FUNCTION LOAD "#!lua name=x\nx = 1"
    FUNCTION LOAD "#!lua name=x\nerror('boom')"
    FUNCTION LOAD "#!lua name=x\nerror({err='MY boom'})"
    FUNCTION LOAD "#!lua name=x\nredis.register_function()"
    FUNCTION LOAD "#!lua name=x\nredis.register_function('a')"
    FUNCTION LOAD "#!lua name=x\nredis.register_function('a', 2)"
    FUNCTION LOAD "#!lua name=x\nredis.register_function({}, 2)"
    FUNCTION LOAD "#!lua name=x\nredis.register_function('a', function() end, 3)"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a'}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{callback=function() end}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, foo=1}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=2}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name={}, callback=function() end}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, description={}}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags='no-writes'}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'nope'}}"
    FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name=7, callback=function() return 7 end, description=8, flags={'NO-WRITES'}}"
    FCALL 7 0
    FUNCTION LIST LIBRARYNAME x
    FUNCTION DELETE x
    FUNCTION LOAD "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading') redis.register_function('v', function() return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM} end)"
    FCALL v 0
    FUNCTION LOAD "#!lua name=y\nredis.register_function('e', function() return redis.call('nosuch') end)\nredis.register_function('e2', function() error('inside') end)\nredis.register_function('e3', function() return redis.pcall('incr', 'mylist') end)\nredis.register_function('g', function() return KEYS end)"
    RPUSH mylist a
    FCALL e 0
    FCALL e2 0
    FCALL e3 0
    FCALL g 0
    FUNCTION LOAD "#!lua name=z\nlocal helper = function(x) return x * 2 end\nredis.register_function('double', function(keys, args) return helper(tonumber(args[1])) end)"
    FCALL double 0 21
    EVAL "return redis.call('fcall', 'double', 0, 1)" 0
    EVAL "redis.register_function('a', function() end)" 0
    FUNCTION DELETE nosuch
    FUNCTION DELETE
    FUNCTION FLUSH bad
    FUNCTION FLUSH sync extra
    FUNCTION KILL
    FUNCTION STATS
    FUNCTION STATS x
    FUNCTION DUMP x
    FUNCTION RESTORE
    FUNCTION RESTORE foo
    FUNCTION RESTORE foo bad
    FUNCTION RESTORE foo replace extra
    FUNCTION NOSUCH
    FUNCTION HELP
    FUNCTION LOAD foo "#!lua name=w\n"
    FUNCTION LOAD REPLACE REPLACE "#!lua name=w\nredis.register_function('w', function() return 'w' end)"
    FUNCTION FLUSH ASYNC
    FUNCTION LOAD "#!lua name=only\nredis.register_function('only', function() return 'only' end)"
    FUNCTION DUMP
    FLUSHALL
    FCALL only 0
    FUNCTION FLUSH SYNC
    FUNCTION STATS
    FCALL only 0
    COMMAND GETKEYS FCALL only 2 k1 k2 a
    MULTI
    FUNCTION LOAD "#!lua name=inmulti\nredis.register_function('im', function(keys) return redis.call('incr', keys[1]) end)"
    FCALL im 1 counter
    FCALL im 1 counter
    FUNCTION LIST LIBRARYNAME inmulti
    EXEC
    MULTI
    FCALL nosuch 0
    FCALL im x
    EXEC
    MULTI
    FUNCTION RESTORE bad
    FUNCTION DELETE inmulti
    EXEC
    FUNCTION LIST
    COMMAND GETKEYS FCALL_RO only 1 k1
    """

    /// cmsgpack and struct, the script libraries written in the project: their bytes and
    /// errors against redis-server's.
    static let scriptLibraries = """
    EVAL "return cmsgpack.pack(1, 'a', {1,2}, {a=1}, true, false, nil, 1.5, -1, 300, -300, 70000, -70000, 2^40, -2^40, 0.1, 1/0, -1/0, 127, 128, -32, -33, -128, -129, 65535, 65536, -32768, -32769)" 0
    EVAL "return cmsgpack.pack(string.rep('x', 31), string.rep('y', 32), string.rep('z', 255), string.rep('w', 256))" 0
    EVAL "local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)" 0
    EVAL "local t = {} for i = 1, 70000 do t[i] = i % 3 end return #cmsgpack.pack(t)" 0
    EVAL "local t = {} for i = 1, 20 do t['k' .. i] = i end return #cmsgpack.pack(t)" 0
    EVAL "return cmsgpack.pack({[1] = 'a', [3] = 'c'})" 0
    EVAL "return cmsgpack.pack({[0] = 'z'})" 0
    EVAL "return cmsgpack.pack({[1.5] = 'f'})" 0
    EVAL "local t = {} t.self = t return cmsgpack.pack(t)" 0
    EVAL "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)" 0
    EVAL "return cmsgpack.pack(function() end)" 0
    EVAL "return cmsgpack.pack()" 0
    EVAL "return {cmsgpack.unpack(cmsgpack.pack({1,2,3}, 'x', {a={b={1}}}))}" 0
    EVAL "local r = cmsgpack.unpack(cmsgpack.pack({a={b={1, 2}}})) return r.a.b" 0
    EVAL "return {cmsgpack.unpack(cmsgpack.pack(-1, -200, -70000, -2^40, 2^40, 1.5, 0.1, 65535, 4294967296))}" 0
    EVAL "return {cmsgpack.unpack(cmsgpack.pack(true, false))}" 0
    EVAL "return cmsgpack.unpack(cmsgpack.pack(nil))" 0
    EVAL "return {cmsgpack.unpack('')}" 0
    EVAL "return cmsgpack.unpack('\\xda\\x00')" 0
    EVAL "return cmsgpack.unpack('\\xc1')" 0
    EVAL "return cmsgpack.unpack('\\xc4\\x01a')" 0
    EVAL "return cmsgpack.unpack('\\x93\\x01')" 0
    EVAL "return cmsgpack.unpack(5)" 0
    EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}" 0
    EVAL "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, 2)}" 0
    EVAL "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_limit(s, 2)}" 0
    EVAL "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_limit(s, 5, 1)}" 0
    EVAL "return {cmsgpack.unpack_one('abc', 10)}" 0
    EVAL "return {cmsgpack.unpack_one('abc', -1)}" 0
    EVAL "return {cmsgpack.unpack_limit('abc', -1)}" 0
    EVAL "return {cmsgpack._NAME, cmsgpack._VERSION}" 0
    EVAL "return struct.pack('>I2', 258)" 0
    EVAL "return struct.pack('<i4>i4', -5, -5)" 0
    EVAL "return {struct.unpack('<i4', struct.pack('<i4', -5))}" 0
    EVAL "return struct.size('>iHb')" 0
    EVAL "return struct.pack('i', 1)" 0
    EVAL "return struct.pack('i3', 1)" 0
    EVAL "return struct.pack('i17', 1)" 0
    EVAL "return struct.pack('i33', 1)" 0
    EVAL "return struct.pack('q', 1)" 0
    EVAL "return struct.pack('!3i', 1)" 0
    EVAL "return struct.pack('!i', 1)" 0
    EVAL "return struct.pack('!4bi', 1, 2)" 0
    EVAL "return {struct.unpack('>i2', 'a')}" 0
    EVAL "return {struct.unpack('>i2', 'abc', 0)}" 0
    EVAL "return {struct.unpack('>i2', 'abc', 5)}" 0
    EVAL "return {struct.unpack('B', 'abc', 2)}" 0
    EVAL "return {struct.unpack('s', 'abc')}" 0
    EVAL "return {struct.unpack('s', 'ab\\x00c')}" 0
    EVAL "return {struct.unpack('c0', 'abc')}" 0
    EVAL "return {struct.unpack('b c0', '\\x03abc')}" 0
    EVAL "return {struct.unpack('c2 c1', 'abc')}" 0
    EVAL "return struct.size('s')" 0
    EVAL "return struct.size('c0')" 0
    EVAL "return struct.size('!8bd')" 0
    EVAL "return struct.size('!bd')" 0
    EVAL "return struct.size('bd')" 0
    EVAL "return struct.size('!4bd')" 0
    EVAL "return struct.size('c12')" 0
    EVAL "return struct.size('q')" 0
    EVAL "return struct.pack('T', 5)" 0
    EVAL "return struct.pack('lLhH', -1, 1, -2, 2)" 0
    EVAL "return struct.pack('s', 'ab')" 0
    EVAL "return struct.pack('c5', 'ab')" 0
    EVAL "return struct.pack('c0', 'abc')" 0
    EVAL "return struct.pack('c2', 'abc')" 0
    EVAL "return struct.pack('>d<d', 1.5, 1.5)" 0
    EVAL "return struct.pack('>f<f', 1/3, 1/3)" 0
    EVAL "return {struct.unpack('>I4', struct.pack('>I4', 4294967295))}" 0
    EVAL "return {struct.unpack('<i8', struct.pack('<i8', -2))}" 0
    EVAL "return {struct.unpack('<I8', struct.pack('<I8', 2^63))}" 0
    EVAL "return struct.pack('>i16', -1)" 0
    EVAL "return {struct.unpack('>i17', string.rep('\\xff', 17))}" 0
    EVAL "return {struct.unpack('<i17', string.rep('\\xff', 17))}" 0
    EVAL "return {struct.unpack('>I9', string.rep('\\x01', 9))}" 0
    EVAL "return {struct.unpack('f', struct.pack('f', 0.25))}" 0
    EVAL "return {struct.unpack('>d', struct.pack('>d', 2.5))}" 0
    EVAL "return struct.pack('i', 'x')" 0
    EVAL "return struct.pack('i')" 0
    EVAL "return struct.pack('b', 300)" 0
    EVAL "return struct.pack('b', -1.7)" 0
    EVAL "return struct.pack('x2b', 1)" 0
    EVAL "return struct.pack('=i', 1)" 0
    EVAL "return struct.pack()" 0
    EVAL "return struct.unpack('b')" 0
    EVAL "return struct.pack('i99999999999', 1)" 0
    EVAL "struct.pack = nil" 0
    EVAL "cmsgpack.pack = nil" 0
    """

    static let scripting = """
    EVAL "return {big_number='1234567890123456789012'}" 0
    EVAL "return {big_number=5}" 0
    EVAL "return {verbatim_string={format='txt', string='hello'}}" 0
    EVAL "return {verbatim_string={format='markdown', string='# hi'}}" 0
    EVAL "return {verbatim_string={format='a', string='x'}}" 0
    EVAL "return {verbatim_string={format=1, string='x'}}" 0
    EVAL "return {verbatim_string={string='x'}}" 0
    EVAL "return {verbatim_string='x'}" 0
    EVAL "return {{big_number='1'}, {verbatim_string={format='txt', string='y'}}, {double=2.5}}" 0
    EVAL "redis.setresp(3) return redis.call('debug', 'protocol', 'bignum')" 0
    EVAL "return cjson.encode({1, 2, {a = 'x\\\\n\\\\1/'}})" 0
    EVAL "local t = {} t[1] = t t[2] = t return cjson.encode(t)" 0
    EVAL "return cjson.encode(function() end)" 0
    EVAL "return cjson.encode()" 0
    EVAL "return cjson.encode({[true] = 1})" 0
    EVAL "return {pcall(cjson.encode, function() end)}" 0
    EVAL "return cjson.encode({[1] = 1, [50] = 5})" 0
    EVAL "return #cjson.encode(string.rep('\\\\1', 1000))" 0
    EVAL "return {unpack({1,2,3}, 0, 2147483647)}" 0
    EVAL "return {unpack({1,2,3}, -2147483648, 2147483647)}" 0
    EVAL "return {unpack({1,2,3}, -2, 2)}" 0
    EVAL "return {unpack({1,2,3}, 2, 10)}" 0
    EVAL "return {unpack({}, 1, 1e8)}" 0
    EVAL "return {unpack({1,2,3}, 3, 1)}" 0
    EVAL "return bit.tohex(65535, -2147483648)" 0
    EVAL "return bit.tohex(65535, 2147483648)" 0
    EVAL "return bit.tohex(65535, -3)" 0
    EVAL "return bit.tohex(-1, 100)" 0
    EVAL "return bit.tohex(65535)" 0
    EVAL "return string.format('%99999999s', 'x')" 0
    EVAL "return select(-2147483648, 1, 2)" 0
    EVAL "return table.concat({1,2,3}, ',', 1, 2147483647)" 0
    EVAL "return string.sub('abc', -2147483648, 2147483647)" 0
    EVAL "return string.byte('abc', -2147483648, 2147483647)" 0
    EVAL "return {_G == _G, type(_G)}" 0
    EVAL "KEYS[3] = 'x' KEYS.f = 1 ARGV[5] = 'y' return {#KEYS, #ARGV}" 2 a b c
    EVAL "local n, m = 0, 0 for k in pairs(KEYS) do n = n + 1 end for k in pairs(ARGV) do m = m + 1 end return {n, m, KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2]}" 1 k v w
    EVAL "setmetatable(ARGV, {__index = function() return 'meta' end}) table.remove(KEYS) return {ARGV[9], #KEYS}" 1 k
    EVAL "return {ARGV[9] or 'none', KEYS[1] or 'nokey', #KEYS, #ARGV}" 0
    EVAL "for i = 1, 100 do ARGV[i] = i end return #ARGV" 0 a
    EVAL "local n = 0 for k, v in pairs(ARGV) do n = n + 1 end return {n, ARGV[1]}" 0 b
    EVAL "ARGV[2] = nil return #ARGV" 0 a b c
    EVAL "local n = 0 for k, v in pairs(ARGV) do n = n + 1 end return {n, ARGV[1], ARGV[2], ARGV[3]}" 0 d e f
    EVAL "return nosuchglobal" 0
    EVAL "return redis.nosuchfield" 0
    SADD sortme a b c d e f g h i l m n o p q r s t u v z aa aaa azz
    EVAL "return redis.call('sort', KEYS[1], 'by', '_')" 1 sortme
    EVAL "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')" 1 sortme
    EVAL "return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc')" 1 sortme
    RPUSH sortlist c a b
    EVAL "return redis.call('sort', KEYS[1], 'by', '_')" 1 sortlist
    EVAL "return redis.pcall('blpop', 'x', 0)" 0
    EVAL "redis.call('select', 9) return redis.call('set', 'selected', 'y')" 0
    GET selected
    SELECT 9
    GET selected
    DEL selected
    SELECT 0
    EVAL "return redis.call('sort', KEYS[1])" 1 sortme
    EVAL "return {pcall(function() return 1, 2, nil, 4 end)}" 0
    EVAL "return {pcall(function() error('boom') end)}" 0
    EVAL "return {pcall(function() error({err='TABLE boom'}) end)}" 0
    EVAL "local ok, e = pcall(function() error({err='TABLE boom'}) end) return e" 0
    EVAL "return {pcall(function(a, b) return a + b end, 2, 3)}" 0
    EVAL "return {pcall(error)}" 0
    EVAL "return {pcall(error, 'plain')}" 0
    EVAL "return {pcall(1)}" 0
    EVAL "return {pcall()}" 0
    EVAL "return {pcall(redis.call, 'nosuch')}" 0
    EVAL "local ok, e = pcall(redis.call, 'nosuch') return e" 0
    EVAL "local ok, e = pcall(function() return redis.call('nosuch') end) return e" 0
    EVAL "return {pcall(function() local x = nil return x.y end)}" 0
    EVAL "return {pcall(pcall, error, 'nested')}" 0
    EVAL "return {pcall(function() return pcall(function() error('inner') end) end)}" 0
    EVAL "return {pcall(function() coroutine.yield(1) end)}" 0
    EVAL "return {xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)}" 0
    EVAL "return {xpcall(function() return 'fine' end, function(e) return e end)}" 0
    EVAL "return {xpcall(function() error('x') end, function(e) error('again') end)}" 0
    EVAL "return {xpcall(error, function(e) return 'c: ' .. tostring(e) end)}" 0
    EVAL "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local r1 = {coroutine.resume(co, 1)} local r2 = {coroutine.resume(co, 10)} return {r1[2], r2[2], coroutine.status(co)}" 0
    EVAL "local co = coroutine.create(function() error('in co') end) return {coroutine.resume(co)}" 0
    EVAL "return {coroutine.resume(coroutine.create(function() return 1 end)), coroutine.resume(1)}" 0
    EVAL "local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) return {gen(), gen(), gen()}" 0
    EVAL "local co = coroutine.wrap(function() error('x') end) co()" 0
    EVAL "local co = coroutine.wrap(function() error({err='W table'}) end) co()" 0
    EVAL "coroutine.wrap(1)" 0
    EVAL "coroutine.yield(1)" 0
    EVAL "return coroutine.running()" 0
    EVAL "return type(coroutine.running())" 0
    EVAL "error('top')" 0
    EVAL "error({err='TOP table'})" 0
    EVAL "error()" 0
    EVAL "error(12)" 0
    EVAL "error(true)" 0
    EVAL "return redis.call('nosuch')" 0
    EVAL "local t = {} t.x.y = 1" 0
    EVAL "table.sort({3, 1, 2}, function(a, b) error('cmp') end)" 0
    EVAL "return string.gsub('abc', 'b', function() error('repl') end)" 0
    EVAL "local t = setmetatable({}, {__index = function() error('meta') end}) return t.x" 0
    SET s v
    RPUSH l a b c
    HSET h f1 v1
    EVAL "return 1" 0
    EVAL "return 'text'" 0
    EVAL "return 3.99" 0
    EVAL "return -3.99" 0
    EVAL "return true" 0
    EVAL "return false" 0
    EVAL "return nil" 0
    EVAL "return {1,2,{3,'a'},nil,4}" 0
    EVAL "return {}" 0
    EVAL "return {err='My err'}" 0
    EVAL "return {ok='fine'}" 0
    EVAL "return {ok='two\\nlines'}" 0
    EVAL "return {double=1.5}" 0
    EVAL "return redis.error_reply('E2')" 0
    EVAL "return redis.error_reply('-CODE detail')" 0
    EVAL "return redis.error_reply(1)" 0
    EVAL "return redis.status_reply('FINE')" 0
    EVAL "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}" 2 k1 k2 a1 a2
    EVAL "return redis.call('get', KEYS[1])" 1 s
    EVAL "return redis.call('get', 'nokey')" 0
    EVAL "return redis.call('lrange', KEYS[1], 0, -1)" 1 l
    EVAL "return redis.call('hgetall', 'h')" 0
    EVAL "return redis.call('set', 'n', 10)" 0
    EVAL "return redis.call('incrbyfloat', 'n', 1.5)" 0
    EVAL "return redis.call('set', 'f', 3.25)" 0
    EVAL "return redis.call('get', 'f')" 0
    EVAL "return redis.call('ping')" 0
    EVAL "return type(redis.call('ping'))" 0
    EVAL "return redis.call('ping').ok" 0
    EVAL "return redis.call('get', 'nokey') == false" 0
    EVAL "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[2]) return redis.call('mget', KEYS[1], KEYS[2])" 2 a b 5
    EVAL "return redis.call('lpush','s','x')" 0
    EVAL "return redis.pcall('lpush','s','x')" 0
    EVAL "local r = redis.pcall('lpush','s','x') return r.err" 0
    EVAL "return redis.call('nosuch')" 0
    EVAL "return redis.pcall('nosuch')" 0
    EVAL "return redis.call('get')" 0
    EVAL "return redis.call()" 0
    EVAL "return redis.call('set', 'k', {})" 0
    EVAL "return redis.call('eval', 'return 1', 0)" 0
    EVAL "return redis.call('subscribe', 'c')" 0
    EVAL "return redis.call('multi')" 0
    EVAL "return redis.call('blpop', 'nolist', 0)" 0
    EVAL "return foo()" 0
    EVAL "return y" 0
    EVAL "x = 1" 0
    EVAL "redis = 1" 0
    EVAL "string.x = 1" 0
    EVAL "rawset(_G, 'x', 1)" 0
    EVAL "setmetatable(_G, nil)" 0
    EVAL "print('x')" 0
    EVAL "return os" 0
    EVAL "return io" 0
    EVAL "return debug" 0
    EVAL "return setfenv" 0
    EVAL "return require" 0
    EVAL "return dofile" 0
    EVAL "error('boom')" 0
    EVAL "error({err='tbl'})" 0
    EVAL "error()" 0
    EVAL "local t = {} return t.y.z" 0
    EVAL "return x =" 0
    EVAL "return loadstring('return 1')()" 0
    EVAL "return redis.sha1hex('')" 0
    EVAL "return redis.sha1hex('abc')" 0
    EVAL "return redis.sha1hex()" 0
    EVAL "return redis.REDIS_VERSION_NUM" 0
    EVAL "return redis.setresp(4)" 0
    EVAL "return redis.setresp()" 0
    EVAL "redis.setresp(3) return redis.call('hgetall', 'h')" 0
    EVAL "redis.setresp(3) return redis.call('get', 'nokey')" 0
    EVAL "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f1" 0
    EVAL "return redis.log(redis.LOG_WARNING, 'from a script')" 0
    EVAL "return redis.log()" 0
    EVAL "return redis.log('x', 'y')" 0
    EVAL "return redis.set_repl(redis.REPL_ALL)" 0
    EVAL "return redis.set_repl(9)" 0
    EVAL "return redis.replicate_commands()" 0
    EVAL "return table.concat({'a','b'}, '-')" 0
    EVAL "return string.format('%d-%s', 5, 'x')" 0
    EVAL "return math.floor(2.7)" 0
    EVAL "return cjson.encode({1,2,{a=1}})" 0
    EVAL "return cjson.encode({a='x', n=1.5e300})" 0
    EVAL "return cjson.decode('[1,2,{\\"b\\":3}]')[3].b" 0
    EVAL "return cjson.decode('{bad')" 0
    EVAL "cjson.encode = nil" 0
    EVAL "return {bit.band(12, 10), bit.bor(1, 2), bit.bxor(5, 1), bit.lshift(1, 4), bit.tohex(255)}" 0
    EVAL "return 1" -1
    EVAL "return 1" 2 a
    EVAL "return 1" x
    EVAL "return 1"
    EVAL "#!lua\\x0areturn 1" 0
    EVAL "#!lua flags=no-writes\\x0areturn redis.call('set','a','b')" 0
    EVAL "#!lua flags=no-writes,allow-oom\\x0areturn redis.call('get','s')" 0
    EVAL "#!lua flags=bogus\\x0areturn 1" 0
    EVAL "#!lua flags=no-writes,\\x0areturn 1" 0
    EVAL "#!lua bogus=1\\x0areturn 1" 0
    EVAL "#!python\\x0areturn 1" 0
    EVAL "#!lua\\x0aerror('x')" 0
    EVAL "#!lua flags=\\x0areturn 3" 0
    EVAL "#!lua" 0
    SCRIPT LOAD "#!lua flags=bogus\\x0areturn 1"
    EVAL_RO "return redis.call('get', 's')" 1 s
    EVAL_RO "return redis.call('set', 's', 'x')" 1 s
    SCRIPT LOAD "return 'loaded'"
    EVALSHA 49d6ce1b0d0cd9d9ebd44e2e9ba53da75f4a02fd 0
    EVALSHA 49D6CE1B0D0CD9D9EBD44E2E9BA53DA75F4A02FD 0
    EVALSHA_RO 49d6ce1b0d0cd9d9ebd44e2e9ba53da75f4a02fd 0
    EVALSHA 0000000000000000000000000000000000000000 0
    EVALSHA short 0
    SCRIPT EXISTS 49d6ce1b0d0cd9d9ebd44e2e9ba53da75f4a02fd 0000000000000000000000000000000000000000
    SCRIPT LOAD "return x ="
    SCRIPT FLUSH BOGUS
    SCRIPT FLUSH ASYNC
    SCRIPT EXISTS 49d6ce1b0d0cd9d9ebd44e2e9ba53da75f4a02fd
    EVALSHA 49d6ce1b0d0cd9d9ebd44e2e9ba53da75f4a02fd 0
    SCRIPT KILL
    SCRIPT HELP
    SCRIPT BOGUS
    SCRIPT EXISTS
    MULTI
    EVAL "return redis.call('incr', 'm')" 0
    EVAL "return redis.call('incr', 'm')" 0
    EXEC
    GET m
    """

    /// DUMP and RESTORE with payloads Redis 7.0 made (a string, a list), as text.
    static let dumpRestore = """
    SET greet hello
    DUMP greet
    RPUSH lst a b 1
    DUMP lst
    DUMP nokey
    RESTORE r1 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a"
    GET r1
    OBJECT ENCODING r1
    RESTORE r1 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a"
    RESTORE r1 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" REPLACE
    RESTORE r2 0 "\\x12\\x01\\x02\\x0f\\x0f\\x00\\x00\\x00\\x03\\x00\\x81a\\x02\\x81b\\x02\\x01\\x01\\xff\\x0a\\x00\\xe0\\x1b\\xabJG\\xceY\\x22"
    LRANGE r2 0 -1
    OBJECT ENCODING r2
    TYPE r2
    RESTORE r2 0 "\\x12\\x01\\x02\\x0f\\x0f\\x00\\x00\\x00\\x03\\x00\\x81a\\x02\\x81b\\x02\\x01\\x01\\xff\\x0a\\x00\\xe0\\x1b\\xabJG\\xceY\\x21" REPLACE
    RESTORE r3 1000 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" ABSTTL
    EXISTS r3
    RESTORE r1 1000 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" ABSTTL REPLACE
    EXISTS r1
    RESTORE r4 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" IDLETIME 10 FREQ 5
    RESTORE r4 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" FREQ 5 IDLETIME 10
    RESTORE r4 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" FREQ -1
    RESTORE r4 0 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a" IDLETIME 100
    OBJECT IDLETIME r4
    RESTORE r5 -5 "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a"
    RESTORE r5 x "\\x00\\x05hello\\x0a\\x00cr\\xdfve4\\x20\\x0a"
    RESTORE r5 0 notapayload
    RESTORE r5 0 ""
    RESTORE r5
    DUMP
    DUMP a b
    # hashes stay listpack up to 512 fields by default, as in Redis 7.0
    CONFIG GET hash-max-listpack-entries
    HSET h300 f1 v f2 v f3 v f4 v f5 v f6 v f7 v f8 v f9 v f10 v f11 v f12 v f13 v f14 v f15 v f16 v f17 v f18 v f19 v f20 v f21 v f22 v f23 v f24 v f25 v f26 v f27 v f28 v f29 v f30 v f31 v f32 v f33 v f34 v f35 v f36 v f37 v f38 v f39 v f40 v f41 v f42 v f43 v f44 v f45 v f46 v f47 v f48 v f49 v f50 v f51 v f52 v f53 v f54 v f55 v f56 v f57 v f58 v f59 v f60 v f61 v f62 v f63 v f64 v f65 v f66 v f67 v f68 v f69 v f70 v f71 v f72 v f73 v f74 v f75 v f76 v f77 v f78 v f79 v f80 v f81 v f82 v f83 v f84 v f85 v f86 v f87 v f88 v f89 v f90 v f91 v f92 v f93 v f94 v f95 v f96 v f97 v f98 v f99 v f100 v f101 v f102 v f103 v f104 v f105 v f106 v f107 v f108 v f109 v f110 v f111 v f112 v f113 v f114 v f115 v f116 v f117 v f118 v f119 v f120 v f121 v f122 v f123 v f124 v f125 v f126 v f127 v f128 v f129 v f130 v
    OBJECT ENCODING h300
    """

    /// HyperLogLog: replies and the values' bytes (GET), sparse and dense, corruption.
    static let hyperLogLog = """
    PFADD h
    EXISTS h
    GET h
    PFCOUNT h
    GET h
    PFADD h a b c
    PFADD h a b c
    PFADD h ""
    GET h
    PFCOUNT h
    GETRANGE h 15 15
    PFCOUNT h
    OBJECT ENCODING h
    PFDEBUG ENCODING h
    PFDEBUG DECODE h
    PFADD h 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40
    PFDEBUG DECODE h
    PFCOUNT h
    GET h
    PFADD d x y z
    PFDEBUG TODENSE d
    PFDEBUG TODENSE d
    PFDEBUG ENCODING d
    PFDEBUG DECODE d
    PFCOUNT d
    GET d
    PFCOUNT h d nokey
    PFCOUNT nokey
    PFCOUNT nokey1 nokey2
    PFMERGE m h d
    PFCOUNT m
    PFDEBUG ENCODING m
    GET m
    PFMERGE m2 h
    PFDEBUG ENCODING m2
    GET m2
    PFMERGE empty nokey
    GET empty
    PFMERGE h
    GET h
    PFDEBUG GETREG nokey
    PFDEBUG NOPE h
    PFDEBUG GETREG m2
    PFDEBUG ENCODING m2
    SET s notanhll
    PFADD s a
    PFCOUNT s
    PFCOUNT h s
    PFMERGE s h
    PFMERGE h s
    PFDEBUG ENCODING s
    LPUSH l a
    PFADD l a
    PFCOUNT l
    PFMERGE l h
    PFMERGE h l
    PFCOUNT h l
    SET n 1234567890123456789
    PFADD n a
    # Corruption: an extra run at the tail, a broken magic, an unknown encoding, a dense
    # header on sparse bytes.
    PFADD t1 a b c
    APPEND t1 hello
    PFCOUNT t1
    PFADD t1 zz
    PFCOUNT t1 h
    PFMERGE t1x t1
    PFADD t2 a b c
    SETRANGE t2 0 0123
    PFCOUNT t2
    PFADD t3 a b c
    SETRANGE t3 4 x
    PFCOUNT t3
    PFADD t4 a b c
    SETRANGE t4 4 \\x00
    PFCOUNT t4
    SET t5 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xfe"
    PFCOUNT t5
    PFADD t5 a
    PFDEBUG TODENSE t5
    SET t6 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\\x80"
    PFCOUNT t6
    PFDEBUG GETREG t6
    # hll-sparse-max-bytes: a small limit makes dense sooner.
    CONFIG SET hll-sparse-max-bytes 30
    CONFIG GET hll-sparse-max-bytes
    PFADD small a b c d e f g h i j
    PFDEBUG ENCODING small
    GET small
    PFADD small2 a b
    PFDEBUG ENCODING small2
    CONFIG SET hll-sparse-max-bytes 3000
    CONFIG SET hll-sparse-max-bytes -1
    CONFIG SET hll-sparse-max-bytes 1kb
    CONFIG GET hll-sparse-max-bytes
    PFADD
    PFCOUNT
    PFMERGE
    PFDEBUG ENCODING
    PFSELFTEST x
    """

    static let geo = """
    GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
    ZSCORE Sicily Palermo
    ZSCORE Sicily Catania
    GEOPOS Sicily Palermo Catania NonExisting
    GEODIST Sicily Palermo Catania
    GEODIST Sicily Palermo Catania km
    GEODIST Sicily Palermo Catania KM
    GEODIST Sicily Palermo Catania mi
    GEODIST Sicily Palermo Catania ft
    GEODIST Sicily Palermo Catania m
    GEODIST Sicily Palermo Catania parsec
    GEODIST Sicily Palermo Catania km extra
    GEODIST Sicily Palermo Nowhere
    GEODIST Sicily Palermo Palermo
    GEOHASH Sicily Palermo Catania Nowhere
    GEOADD Sicily NX 13.361389 38.115556 Palermo 12.5 41.9 Rome
    GEOADD Sicily XX CH 13.4 38.1 Palermo 9.19 45.46 Milan
    GEOADD Sicily CH 13.4 38.1 Palermo
    GEOADD Sicily NX XX 1 2 a
    GEOADD Sicily 1 2 a b
    GEOADD Sicily 181 0 a
    GEOADD Sicily 0 86 a
    GEOADD Sicily -180 -85.05112878 corner 180 85.05112878 other
    GEOPOS Sicily corner other
    GEOHASH Sicily corner other
    GEODIST Sicily corner other
    GEOADD Sicily x 2 a
    GEOADD Sicily 1 y a
    GEOADD Sicily 0 0 origin 0.0001 0 east 0 0.0001 north
    GEODIST Sicily origin east
    GEODIST Sicily origin north
    GEOPOS Sicily origin east north
    GEOHASH Sicily origin east north
    ZRANGE Sicily 0 -1 WITHSCORES
    GEOPOS nokey a b
    GEOHASH nokey a
    GEODIST nokey a b
    GEOPOS Sicily
    SET str v
    GEOADD str 1 2 a
    GEOPOS str a
    GEODIST str a b
    GEOHASH str a
    """

    static let geoSearch = """
    GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2
    GEOADD Sicily 13.583333 37.316667 Agrigento 12.5 41.9 Rome 14.25 40.85 Naples
    GEORADIUS Sicily 15 37 200 km ASC
    GEORADIUS Sicily 15 37 200 km DESC WITHDIST
    GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC
    GEORADIUS Sicily 15 37 200 km COUNT 2
    GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
    GEORADIUS Sicily 15 37 100000 m ASC
    GEORADIUS Sicily 15 37 500 mi ASC WITHDIST
    GEORADIUS Sicily 15 37 2000000 ft DESC WITHDIST
    GEORADIUS Sicily 15 37 0 km
    GEORADIUS Sicily 15 37 1 km
    GEORADIUS Sicily 15 37 -1 km
    GEORADIUS Sicily 15 37 x km
    GEORADIUS Sicily 15 37 200 parsec
    GEORADIUS Sicily 181 37 200 km
    GEORADIUS Sicily 15 37 200 km COUNT 0
    GEORADIUS Sicily 15 37 200 km COUNT -1
    GEORADIUS Sicily 15 37 200 km COUNT x
    GEORADIUS Sicily 15 37 200 km ANY
    GEORADIUS Sicily 15 37 200 km FOO
    GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
    GEORADIUS Sicily 15 37 200 km STORE dst
    ZRANGE dst 0 -1 WITHSCORES
    GEORADIUS Sicily 15 37 200 km STOREDIST dst ASC COUNT 2
    ZRANGE dst 0 -1 WITHSCORES
    GEORADIUS Sicily 15 37 1 km STORE dst
    EXISTS dst
    GEORADIUS_RO Sicily 15 37 200 km ASC
    GEORADIUS_RO Sicily 15 37 200 km STORE dst
    GEORADIUSBYMEMBER Sicily Palermo 300 km ASC WITHDIST
    GEORADIUSBYMEMBER Sicily Nowhere 300 km
    GEORADIUSBYMEMBER Sicily Palermo 300 km STORE dst2
    ZRANGE dst2 0 -1
    GEORADIUSBYMEMBER_RO Sicily Palermo 300 km DESC
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
    GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km ASC WITHDIST WITHCOORD
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 600 km DESC
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 600 100 km COUNT 3
    GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1000 1000 mi ASC WITHHASH
    GEOSEARCH Sicily FROMMEMBER Nowhere BYRADIUS 200 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km FROMMEMBER Palermo
    GEOSEARCH Sicily BYRADIUS 200 km ASC
    GEOSEARCH Sicily FROMLONLAT 15 37 ASC
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX a 1 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 b km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
    GEOSEARCHSTORE dst3 Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC COUNT 3
    ZRANGE dst3 0 -1 WITHSCORES
    GEOSEARCHSTORE dst3 Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
    ZRANGE dst3 0 -1 WITHSCORES
    GEOSEARCHSTORE dst3 Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
    GEOSEARCHSTORE dst3 Sicily FROMLONLAT 15 37 BYRADIUS 1 m
    EXISTS dst3
    GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km
    GEOSEARCH nokey FROMMEMBER x BYRADIUS 200 km
    GEORADIUSBYMEMBER nokey x 1 km
    SET dst4 v
    GEOSEARCHSTORE dst4 nokey FROMLONLAT 15 37 BYRADIUS 200 km
    EXISTS dst4
    SET str v
    GEOSEARCH str FROMLONLAT 15 37 BYRADIUS 200 km
    GEORADIUS str 15 37 200 km
    COMMAND GETKEYS GEORADIUS Sicily 15 37 200 km STORE a STOREDIST b
    COMMAND GETKEYS GEORADIUSBYMEMBER Sicily m 200 km STORE a
    COMMAND GETKEYS GEOSEARCHSTORE d s FROMLONLAT 1 2 BYRADIUS 1 m
    """

    static let protocolAndServer = """
    PING
    PING hello
    PING a b
    ECHO hi
    ECHO
    ECHO a b
    NOSUCHCOMMAND a b
    nosuchcommand
    get
    Get k
    CONFIG GET maxclients
    CONFIG SET maxclients abc
    CONFIG SET nosuchparam 1
    CONFIG SET timeout 0
    CONFIG GET timeout
    CONFIG GET jemalloc-bg-thread
    CONFIG SET jemalloc-bg-thread maybe
    CONFIG SET jemalloc-bg-thread no
    CONFIG GET jemalloc-bg-thread
    CONFIG SET jemalloc-bg-thread yes
    CONFIG FOO
    CONFIG
    CONFIG SET
    CONFIG SET timeout
    CONFIG SET databases 8
    CLIENT FOO
    CLIENT SETNAME "a b"
    CLIENT SETNAME good
    CLIENT GETNAME
    CLIENT SETNAME ""
    CLIENT GETNAME
    CLIENT REPLY FOO
    CLIENT NO-EVICT maybe
    CLIENT NO-EVICT on
    CLIENT KILL 1.2.3.4:5
    CLIENT KILL ID abc
    CLIENT KILL FOO bar
    CLIENT KILL ID 999999
    CLIENT LIST TYPE foo
    AUTH foo
    AUTH a b c
    HELLO 4
    HELLO abc
    HELLO 2 FOO
    HELLO 2 SETNAME "a b"
    SHUTDOWN ABORT
    SHUTDOWN FOO
    COMMAND INFO get nosuch
    COMMAND FOO
    COMMAND INFO lolwut
    LOLWUT
    LOLWUT foo bar
    LOLWUT VERSION
    LOLWUT VERSION 7
    LOLWUT VERSION 4294967301 10 2 2
    LOLWUT VERSION -1
    LOLWUT VERSION x
    LOLWUT VERSION 5 abc
    LOLWUT VERSION 5 10 2 abc
    LOLWUT VERSION 6 abc
    LOLWUT VERSION 5 10 2 2
    LOLWUT version 5 66 8 2
    LOLWUT VERSION 5 1 1 1
    LOLWUT VERSION 5 0 0 0
    LOLWUT VERSION 5 2 3 1
    LOLWUT VERSION 5 7 3 2 extra
    """

    /// MULTI/EXEC/DISCARD/WATCH from one client (the cross-client WATCH cases are in
    /// TransactionTests).
    static let transactions = """
    EXEC
    EXEC extra
    MULTI
    SET refused 1
    EXEC extra
    EXEC
    GET refused
    DISCARD
    UNWATCH
    MULTI
    MULTI
    SET a 1
    INCR a
    LPUSH l x y
    SELECT 2
    SET b 2
    GET b
    SELECT 0
    PING
    ECHO hi
    INCR l
    LRANGE l 0 -1
    EXEC
    GET a
    SELECT 2
    GET b
    SELECT 0
    MULTI
    SET a 5
    DISCARD
    GET a
    MULTI
    SET a 6
    SET a
    NOSUCHCOMMAND x
    EXEC
    GET a
    MULTI
    WATCH a
    SET a 7
    EXEC
    GET a
    MULTI
    SAVE
    SHUTDOWN
    EXEC
    MULTI
    BLPOP emptylist 0
    BRPOP emptylist 1
    BLMOVE emptylist dst LEFT LEFT 0
    BRPOPLPUSH emptylist dst 0
    BLMPOP 0 1 emptylist LEFT
    BZPOPMIN emptyz 0
    BZMPOP 0 1 emptyz MIN
    RPUSH full a b
    BLPOP full 0
    EXEC
    MULTI
    EXEC
    WATCH a b
    WATCH a
    SET a 8
    MULTI
    GET a
    EXEC
    WATCH a
    UNWATCH
    SET a 9
    MULTI
    GET a
    EXEC
    WATCH nosuch
    MULTI
    SET nosuch 1
    EXEC
    WATCH a
    MULTI
    GET a
    DISCARD
    SET a 10
    MULTI
    GET a
    EXEC
    SET counter 0
    WATCH counter
    INCR counter
    MULTI
    INCR counter
    EXEC
    GET counter
    WATCH
    MULTI
    RESET
    EXEC
    MULTI
    HSET h f v
    SADD s m
    ZADD z 1 m
    HGETALL h
    SMEMBERS s
    ZRANGE z 0 -1 WITHSCORES
    DEL h s z
    EXEC
    EXISTS h s z
    """
}
