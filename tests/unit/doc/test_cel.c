/*
 * Unit tests of the CEL evaluator (src/doc/cel.c): a table of variables (JSON), expression and
 * expected result, a bool or a substring of the error, covering the expressions of Flux's CEL
 * health check cheat sheet against realistic objects, CEL's operators and their errors, the
 * commutative && and ||, has(), macros, optionals, the ext.Strings, ext.Sets and ext.Encoders
 * functions, string literal escapes, and parse errors with Flux's messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_tests.h"

/* A Deployment-like object, ready, and a HelmRelease-like one, not ready. */
#define READY                                                                                      \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"app\","          \
    "\"generation\":3,\"labels\":{\"x\":\"1\",\"app.kubernetes.io/name\":\"app\"}},"               \
    "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":3,\"readyReplicas\":2,"          \
    "\"phase\":\"Pending\",\"message\":\"no error here\",\"conditions\":["                         \
    "{\"type\":\"Available\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"}]}}"
#define FAILED                                                                                     \
    "{\"apiVersion\":\"v2\",\"kind\":\"HelmRelease\",\"metadata\":{\"name\":\"web\","              \
    "\"generation\":4,\"labels\":{}},\"spec\":{\"replicas\":3},\"status\":{"                       \
    "\"observedGeneration\":3,\"readyReplicas\":1,\"phase\":\"Failed\",\"message\":\"an "          \
    "error occurred\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}"
#define NOSTATUS                                                                                   \
    "{\"apiVersion\":\"v1\",\"kind\":\"Thing\",\"metadata\":{\"name\":\"a\"},\"status\":{}}"
#define DEPS                                                                                       \
    "{\"self\":{\"metadata\":{\"name\":\"app\"}},\"dep\":{\"metadata\":{\"generation\":2},"        \
    "\"status\":{\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\","                    \
    "\"status\":\"True\"}]}}}"
#define V                                                                                          \
    "{\"s\":\"héllo wörld\",\"n\":null,\"i\":7,\"f\":1.5,\"l\":[1,2,3],\"e\":[],"                \
    "\"m\":{\"a\":1,\"b\":\"two\"},\"t\":true,\"big\":9223372036854775807,\"neg\":-3,"             \
    "\"names\":[\"a\",\"b\"],\"spaces\":\" \\t padded \\n\"}"

#define TIMES                                                                                      \
    "{\"metadata\":{\"creationTimestamp\":\"2024-02-29T12:00:00Z\"},\"status\":{"                  \
    "\"lastUpdate\":\"2024-02-29T13:30:00.5Z\"}}"

/* Expected outcomes: T and F are results; E is an evaluation error, P a parse error, B a
 * result that is not a bool. */
enum {
    T,
    F,
    E,
    P,
    B
};

typedef struct {
    const char *vars;
    const char *expr;
    int want;
    const char *msg; /* a substring of the error, for E and P */
} cel_case;

static const cel_case cases[] = {
    /* Flux's cheat sheet, against a ready object and a failed one. */
    {READY, "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')", T, NULL},
    {FAILED, "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')", F, NULL},
    {FAILED,
     "has(status.conditions) && status.conditions.exists(e, e.type == 'Ready' && e.status == "
     "'False')",
     T, NULL},
    {NOSTATUS,
     "has(status.conditions) && status.conditions.exists(e, e.type == 'Ready' && e.status == "
     "'False')",
     F, NULL},
    {READY, "status.?conditions.orValue([]).exists(e, e.type == 'Available' && e.status == 'True')",
     T, NULL},
    {NOSTATUS,
     "status.?conditions.orValue([]).exists(e, e.type == 'Available' && e.status == 'True')", F,
     NULL},
    {READY, "status.phase in ['Pending', 'Provisioning']", T, NULL},
    {FAILED, "status.phase in ['Pending', 'Provisioning']", F, NULL},
    {READY, "status.observedGeneration == metadata.generation", T, NULL},
    {FAILED, "status.observedGeneration == metadata.generation", F, NULL},
    {READY, "status.readyReplicas >= spec.replicas", T, NULL},
    {FAILED, "status.readyReplicas >= spec.replicas", F, NULL},
    {READY, "size(status.conditions) > 0", T, NULL},
    {READY, "'x' in metadata.labels", T, NULL},
    {FAILED, "'x' in metadata.labels", F, NULL},
    {READY, "metadata.name.startsWith('a')", T, NULL},
    {FAILED, "status.message.contains('error')", T, NULL},
    {READY, "status.message.contains('failure')", F, NULL},
    {READY, "metadata.name.matches('^a.*$')", T, NULL},
    {FAILED, "metadata.name.matches('^a.*$')", F, NULL},
    {DEPS,
     "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && "
     "dep.metadata.generation == dep.status.observedGeneration",
     T, NULL},
    {DEPS, "self.metadata.name == 'app'", T, NULL},
    {NOSTATUS, "status.conditions.exists(e, e.type == 'Ready')", E, "no such key: conditions"},
    {NOSTATUS, "spec.replicas > 0", E, "no such attribute(s): spec"},
    {READY, "metadata.labels['app.kubernetes.io/name'] == 'app'", T, NULL},

    /* && and || are commutative: an error is absorbed when the other side decides. */
    {NOSTATUS, "false && status.missing", F, NULL},
    {NOSTATUS, "status.missing && false", F, NULL},
    {NOSTATUS, "true || status.missing", T, NULL},
    {NOSTATUS, "status.missing || true", T, NULL},
    {NOSTATUS, "status.missing || false", E, "no such key: missing"},
    {NOSTATUS, "true && status.missing", E, "no such key: missing"},
    {V, "i && true", E, "no such overload"},
    {V, "true ? true : l.missing", T, NULL},
    {V, "false ? l.missing : false", F, NULL},
    {V, "i ? true : false", E, "no such overload"},
    {V, "l.exists(x, x == 3 || x.missing)", T, NULL},
    {V, "l.all(x, x / (x - 1) >= 0)", E, "division by zero"},
    {V, "l.all(x, x / (x - 1) > 5)", F, NULL},
    {V, "l.exists(x, x / (x - 1) == 2)", T, NULL},
    {V, "l.existsOne(x, x > 2) && !l.existsOne(x, x > 1)", T, NULL},

    /* has() and field selection. */
    {V, "has(m.a)", T, NULL},
    {V, "has(m.c)", F, NULL},
    {V, "has(m.c.d)", E, "no such key: c"},
    {V, "has(s.x)", E, "invalid type"},
    {V, "m.c == 1", E, "no such key: c"},
    {V, "n.x == 1", E, "does not support field selection"},
    {V, "m['b'] == 'two' && m.b == 'two'", T, NULL},
    {V, "m['z'] == 1", E, "no such key: z"},
    {V, "l[0] == 1 && l[2u] == 3 && l[1.0] == 2", T, NULL},
    {V, "l[3] == 1", E, "index out of range: 3"},
    {V, "l[-1] == 1", E, "index out of range"},
    {V, "{1: 'a', true: 'b'}[1] == 'a'", T, NULL},
    {V, "{'a': 1, 'a': 2}.a == 1", E, "repeated key"},
    {V, "nosuchvar", E, "no such attribute(s): nosuchvar"},

    /* Equality and comparison, across numeric types. */
    {V, "1 == 1.0 && 1u == 1 && 1.0 == 1u && f == 1.5", T, NULL},
    {V, "1 < 1.5 && 2u > 1 && -1 < 1u && 1.5 <= 2u && 3 >= 3.0", T, NULL},
    {V, "big < 9223372036854775808.0 && big != 9223372036854775807.0 + 1.0", T, NULL},
    {V,
     "-big - 1 == -9223372036854775808.0 && -big - 1 < -9223372036854774784.0 && -big > "
     "-9223372036854775808.0",
     T, NULL},
    {V, "18446744073709551615u < 18446744073709551616.0 && 2u < 2.5 && 3u > 2.5 && 0u > -0.5", T,
     NULL},
    {V, "-3 < -2.5 && -2 > -2.5 && 9007199254740993 > 9007199254740992.0", T, NULL},
    {V, "-1 < 0u && 1 != 0u && big < 18446744073709551615u && 0.5 > 0 && 2.0 >= 2u", T, NULL},
    {V, "[1, 2] == [1.0, 2u] && {'a': 1} == {'a': 1.0} && [1] != [1, 2]", T, NULL},
    {V, "m == {'b': 'two', 'a': 1}", T, NULL},
    {V, "1 == 'a' || null == false || [] == {} || 'a' == b'a'", F, NULL},
    {V, "n == null && null != 0", T, NULL},
    {V, "'a' < 'b' && b'a' < b'b' && false < true && 'abc' > 'ab'", T, NULL},
    {V, "1 < 'a'", E, "no such overload"},
    {V, "double('NaN') == double('NaN')", F, NULL},
    {V, "double('NaN') < 1.0 || double('NaN') >= 1.0", F, NULL},
    {V, "1 in [1.0, 2] && 'a' in {'a': 1} && !(3 in [1, 2]) && 2u in l", T, NULL},
    {V, "1 in 'abc'", E, "no such overload"},

    /* Arithmetic, overflow and division by zero. */
    {V, "1 + 2 * 3 - 4 / 2 % 3 == 5", T, NULL},
    {V, "-7 / 2 == -3 && -7 % 2 == -1 && 7u / 2u == 3u && 7u % 4u == 3u", T, NULL},
    {V, "big + 1 > 0", E, "integer overflow"},
    {V, "-big - 2 < 0", E, "integer overflow"},
    {V, "big * 2 > 0", E, "integer overflow"},
    {V, "-9223372036854775808 / -1 < 0", E, "integer overflow"},
    {V, "-(-9223372036854775808) > 0", E, "integer overflow"},
    {V, "-9223372036854775808 < 0", T, NULL},
    {V, "9223372036854775808 > 0", P, "invalid int literal"},
    {V, "0u - 1u > 0u", E, "unsigned integer overflow"},
    {V, "18446744073709551615u + 1u > 0u", E, "overflow"},
    {V, "18446744073709551615u > 0u && 0xFFu == 255u && 0x10 == 16", T, NULL},
    {V, "1 / 0 == 0", E, "division by zero"},
    {V, "1 % 0 == 0", E, "modulus by zero"},
    {V, "1u / 0u == 0u", E, "division by zero"},
    {V, "1.0 / 0.0 > 1e308 && 2.5e-3 == 0.0025 && .5 == 0.5 && 1e3 == 1000.0", T, NULL},
    {V, "1 + 1.0 == 2", E, "no such overload"},
    {V, "1.5 % 1.0 == 0.5", E, "no such overload"},
    {V, "-i == -7 && -f == -1.5 && !!t", T, NULL},
    {V, "-1u == 1u", E, "no such overload"},
    {V, "!i", E, "no such overload"},
    {V, "'ab' + 'c' == 'abc' && b'a' + b'b' == b'ab' && [1] + [2] == [1, 2]", T, NULL},
    {V, "l + e == l && size(e + e) == 0", T, NULL},

    /* Conversions. */
    {V, "int('42') == 42 && int(3.9) == 3 && int(-3.9) == -3 && int(7u) == 7", T, NULL},
    {V, "int('x') == 1", E, "cannot convert"},
    {V, "int(1e19) == 1", E, "range error"},
    {V, "int(18446744073709551615u) == 1", E, "range error"},
    {V, "uint(-1) == 1u", E, "range error"},
    {V, "uint('12') == 12u && uint(2.5) == 2u", T, NULL},
    {V, "double('2.5') == 2.5 && double(2) == 2.0 && double(3u) == 3.0", T, NULL},
    {V,
     "string(12) == '12' && string(1.5) == '1.5' && string(true) == 'true' && string(2u) == '2' "
     "&& string(b'hi') == 'hi'",
     T, NULL},
    {V, "string(1e21) == '1e+21' && string(0.0001) == '0.0001' && string(1e-5) == '1e-05'", T,
     NULL},
    {V, "string(100.0) == '100' && string(-0.5) == '-0.5' && string(123456.789) == '123456.789'", T,
     NULL},
    {V, "string(b'\\xff') == ''", E, "invalid UTF-8"},
    {V, "bool('true') && !bool('0') && bool('T') && !bool('False')", T, NULL},
    {V, "bool('yes')", E, "type conversion error"},
    {V, "string([1]) == ''", E, "type conversion error from 'list' to 'string'"},
    {V, "dyn(i) == 7 && bytes('a') == b'a'", T, NULL},

    /* size and the standard string functions (sizes count code points). */
    {V, "size(s) == 11 && s.size() == 11 && size(b'h\\xc3\\xa9') == 3", T, NULL},
    {V, "size(l) == 3 && size(m) == 2 && l.size() == 3", T, NULL},
    {V, "size(i) == 1", E, "no such overload: size(int)"},
    {V, "s.contains('wö') && s.startsWith('hé') && s.endsWith('rld') && !s.endsWith('x')", T, NULL},
    {V, "s.matches('^h.llo w.rld$') && matches(s, 'ö') && !s.matches('^x')", T, NULL},
    {V, "s.matches('(')", E, "error parsing regexp"},
    {V, "s.contains(1)", E, "no such overload: contains(string, int)"},

    /* ext.Strings. */
    {V, "s.charAt(1) == 'é' && s.charAt(11) == '' && 'abc'.charAt(0) == 'a'", T, NULL},
    {V, "s.charAt(12) == ''", E, "index out of range: 12"},
    {V, "s.indexOf('o') == 4 && s.indexOf('ö') == 7 && s.indexOf('x') == -1", T, NULL},
    {V, "s.indexOf('') == 0 && s.indexOf('o', 5) == -1 && 'abcabc'.indexOf('b', 2) == 4", T, NULL},
    {V, "s.indexOf('o', 12) == 0", E, "index out of range"},
    {V, "'abcabc'.lastIndexOf('b') == 4 && 'abcabc'.lastIndexOf('b', 3) == 1", T, NULL},
    {V, "'abc'.lastIndexOf('') == 3 && 'abc'.lastIndexOf('x') == -1", T, NULL},
    {V, "'ÀbC'.lowerAscii() == 'Àbc' && 'àBc'.upperAscii() == 'àBC'", T, NULL},
    {V, "'aaa'.replace('a', 'b') == 'bbb' && 'aaa'.replace('a', 'b', 2) == 'bba'", T, NULL},
    {V, "'aaa'.replace('a', 'b', 0) == 'aaa' && 'ab'.replace('', '-') == '-a-b-'", T, NULL},
    {V, "'a,b,c'.split(',') == ['a', 'b', 'c'] && 'a,b,c'.split(',', 2) == ['a', 'b,c']", T, NULL},
    {V, "'a,b'.split(',', 0) == [] && 'héy'.split('') == ['h', 'é', 'y'] && ''.split(',') == ['']",
     T, NULL},
    {V, "'a,b,c'.split(',', -1) == ['a', 'b', 'c'] && ',a,'.split(',') == ['', 'a', '']", T, NULL},
    {V, "s.substring(6) == 'wörld' && s.substring(1, 4) == 'éll' && s.substring(11) == ''", T,
     NULL},
    {V, "s.substring(3, 2) == ''", E, "invalid substring range"},
    {V, "s.substring(12) == ''", E, "index out of range"},
    {V, "spaces.trim() == 'padded' && '  '.trim() == '' && '\\u3000x '.trim() == 'x'", T, NULL},
    {V, "names.join() == 'ab' && names.join(', ') == 'a, b' && [].join('-') == ''", T, NULL},
    {V, "l.join(',') == ''", E, "no such overload"},
    {V, "s.reverse() == 'dlröw olléh' && ''.reverse() == ''", T, NULL},

    /* ext.Sets and ext.Encoders. */
    {V, "sets.contains([1, 2, 3], [3, 1.0]) && !sets.contains([1], [2]) && sets.contains([], [])",
     T, NULL},
    {V, "sets.equivalent([1, 2, 2], [2u, 1]) && !sets.equivalent([1], [1, 2])", T, NULL},
    {V, "sets.intersects([1, 2], [3, 2]) && !sets.intersects([1], []) ", T, NULL},
    {V, "sets.contains(1, [1])", E, "no such overload"},
    {V, "base64.encode(b'hello') == 'aGVsbG8=' && base64.encode(b'') == ''", T, NULL},
    {V, "base64.decode('aGVsbG8=') == b'hello' && base64.decode('aGVsbG8') == b'hello'", T, NULL},
    {V, "string(base64.decode('aMOp')) == 'hé'", T, NULL},
    {V, "base64.decode('a$==') == b''", E, "illegal base64 data"},

    /* Macros. */
    {V, "l.map(x, x * 2) == [2, 4, 6] && l.map(x, x > 1, x * 10) == [20, 30]", T, NULL},
    {V, "l.filter(x, x % 2 == 1) == [1, 3] && e.all(x, false) && !e.exists(x, true)", T, NULL},
    {V, "l.exists_one(x, x > 2) && !l.exists_one(x, x > 1)", T, NULL},
    {V, "m.all(k, k in ['a', 'b']) && m.exists(k, m[k] == 'two')", T, NULL},
    {V, "l.map(x, l.filter(y, y < x)).exists(z, size(z) == 2)", T, NULL},
    {V, "[1, 2].map(x, [x]) == [[1], [2]] && l.map(l, l + 1) == [2, 3, 4]", T, NULL},
    {V, "i.all(x, true)", E, "cannot iterate"},
    {V, "l.all(x, x)", E, "no such overload"},
    {V, "l.map(x, x.y) == []", E, "does not support field selection"},
    {V, "l.all(1, true)", P, "argument must be a simple name"},
    {V, "has(m)", P, "invalid argument to has() macro"},

    /* Optionals. */
    {V, "m.?a.hasValue() && !m.?c.hasValue() && m.?a.value() == 1", T, NULL},
    {V, "m.?c.value() == 1", E, "optional.none() dereference"},
    {V, "m.?c.orValue(5) == 5 && m.?a.orValue(5) == 1", T, NULL},
    {V, "m.?c.or(optional.of(2)).value() == 2 && m.?a.or(optional.none()).value() == 1", T, NULL},
    {V, "m.?c.x.y.hasValue()", F, NULL},
    {V, "m.?b.size.hasValue()", E, "does not support field selection"},
    {V, "m[?'a'].value() == 1 && !m[?'z'].hasValue() && l[?1].value() == 2 && !l[?5].hasValue()", T,
     NULL},
    {V, "optional.of(m).a.value() == 1 && !optional.of(m).z.hasValue()", T, NULL},
    {V, "optional.ofNonZeroValue(0).hasValue() || optional.ofNonZeroValue('').hasValue()", F, NULL},
    {V, "optional.ofNonZeroValue(1).hasValue() && optional.none() == optional.none()", T, NULL},
    {V, "[1, ?m.?a, ?m.?z] == [1, 1] && {'x': 1, ?'y': m.?z} == {'x': 1}", T, NULL},
    {V, "optional.none().or(1) == 1", E, "no such overload"},

    /* Timestamps and durations. */
    {TIMES, "timestamp(status.lastUpdate) > timestamp(metadata.creationTimestamp)", T, NULL},
    {TIMES,
     "timestamp(status.lastUpdate) - timestamp(metadata.creationTimestamp) == "
     "duration('1h30m0.5s')",
     T, NULL},
    {TIMES, "timestamp('2024-03-01T00:00:00+02:00') == timestamp('2024-02-29T22:00:00Z')", T, NULL},
    {TIMES,
     "timestamp('2024-01-01T00:00:00Z') + duration('36h') == timestamp('2024-01-02T12:00:00Z')"
     " && duration('1m') + timestamp('2024-01-01T00:00:00Z') > "
     "timestamp('2024-01-01T00:00:59.999Z')",
     T, NULL},
    {TIMES,
     "timestamp('2024-01-01T00:00:00Z') - duration('1ns') == "
     "timestamp('2023-12-31T23:59:59.999999999Z')",
     T, NULL},
    {TIMES, "string(timestamp('2024-01-01T10:00:00.120-01:00')) == '2024-01-01T11:00:00.12Z'", T,
     NULL},
    {TIMES,
     "string(duration('1h')) == '3600s' && string(duration('-1.5s')) == '-1.5s' && "
     "string(duration('1us')) == '0.000001s'",
     T, NULL},
    {TIMES,
     "duration('1.5h') == duration('90m') && duration('1h') > duration('59m59s') && "
     "duration('0') == duration('-0s') && duration('2µs') == duration('2000ns')",
     T, NULL},
    {TIMES,
     "int(timestamp('1970-01-02T00:00:00Z')) == 86400 && timestamp(86400) == "
     "timestamp('1970-01-02T00:00:00Z') && int(duration('1s')) == 1000000000",
     T, NULL},
    {TIMES,
     "timestamp(status.lastUpdate).getFullYear() == 2024 && "
     "timestamp(status.lastUpdate).getMonth() == 1 && timestamp(status.lastUpdate).getDate() == 29"
     " && timestamp(status.lastUpdate).getDayOfMonth() == 28",
     T, NULL},
    {TIMES,
     "timestamp(status.lastUpdate).getDayOfWeek() == 4 && "
     "timestamp(status.lastUpdate).getDayOfYear() == 59 && "
     "timestamp(status.lastUpdate).getHours() == 13 && "
     "timestamp(status.lastUpdate).getMinutes() == 30 && "
     "timestamp(status.lastUpdate).getSeconds() == 0 && "
     "timestamp(status.lastUpdate).getMilliseconds() == 500",
     T, NULL},
    {TIMES,
     "timestamp(status.lastUpdate).getHours('+05:30') == 19 && "
     "timestamp(status.lastUpdate).getDate('-14:00') == 28 && "
     "timestamp(status.lastUpdate).getHours('UTC') == 13",
     T, NULL},
    {TIMES,
     "duration('90m').getHours() == 1 && duration('90m').getMinutes() == 90 && "
     "duration('1.5s').getSeconds() == 1 && duration('1.5s').getMilliseconds() == 1500",
     T, NULL},
    {TIMES, "timestamp(status.lastUpdate).getHours('Europe/Paris') == 1", E,
     "unsupported time zone"},
    {TIMES, "timestamp('2024-02-30T00:00:00Z') == timestamp(0)", E, "RFC 3339"},
    {TIMES, "timestamp('2024-01-01 00:00:00Z') == timestamp(0)", E, "RFC 3339"},
    {TIMES, "timestamp('9999-12-31T23:59:59Z') + duration('1s') > timestamp(0)", E,
     "timestamp out of range"},
    {TIMES, "duration('1d') > duration('1h')", E, "time: invalid duration \"1d\""},
    {TIMES, "duration('3000000h') > duration('1h')", E, "invalid duration"},
    {TIMES, "duration('2562047h') > duration('1h') && duration('-2562047h') < duration('0')", T,
     NULL},
    {TIMES, "duration('2562047h') + duration('2562047h') > duration('1h')", E, "integer overflow"},
    {TIMES, "timestamp(1) < 2", E, "no such overload"},
    {TIMES, "timestamp(1) != 1 && duration('1s') != 1", T, NULL},

    /* String literals and escapes. */
    {V, "'a\\nb' == \"a\\u000ab\" && '\\t' == '\\x09' && '\\\\' == r'\\'", T, NULL},
    {V, "'\\'' == \"'\" && \"\\\"\" == '\"' && '\\101' == 'A' && '\\U0001F600' == '😀'", T, NULL},
    {V, "'\\xe9' == 'é' && b'\\xe9' != b'é' && size(b'\\351') == 1", T, NULL},
    {V, "'''a\nb''' == 'a\\nb' && \"\"\"x\"y\"\"\" == 'x\"y' && r'\\n' == '\\\\n'", T, NULL},
    {V, "R\"\\d\" == '\\\\d' && rb'\\x' == b'\\\\x' && Br'a' == b'a'", T, NULL},
    {V, "'a\\qb' == 'a'", P, "invalid escape sequence"},
    {V, "'\\ud800' == 'a'", P, "invalid unicode code point"},
    {V, "'abc", P, "unterminated string literal"},
    {V, "'a\nb' == 'a'", P, "unterminated string literal"},
    {V, "'abc' // a comment\n == 'abc'", T, NULL},

    /* Results that are not bools, unknown functions. */
    {V, "i", B, NULL},
    {V, "m.?a", B, NULL},
    {V, "nofunc(1)", E, "no such function: nofunc"},
    {V, "s.nomethod()", E, "no such function: nomethod"},
    {V, "type(1) == int", E, "no such function: type"},

    /* Parse errors. */
    {V, "", P, "mismatched input '<EOF>'"},
    {V, "1 +", P, "Syntax error"},
    {V, "(1 == 1", P, "expected ')'"},
    {V, "1 == 1)", P, "extraneous input"},
    {V, "m.if == 1", E, "no such key: if"},
    {V, "m.in == 1", P, "expected a field name"},
    {V, "if == 1", P, "reserved identifier: if"},
    {V, "1 # 2", P, "token recognition error at: '#'"},
    {V, "Foo{a: 1}", P, "message construction"},
    {V, "a.", P, "expected a field name"},
    {V, "0x == 0", P, "invalid hex literal"},
    {V, "99999999999999999999u == 0u", P, "invalid uint literal"},
    {V, "[1, 2", P, "expected ']'"},
    {V, "{'a' 1}", P, "expected ':'"},
    {V, "1 ? 2", P, "expected ':'"},
};

/* Run one case; false (and a line on stderr) when it does not go as expected. */
static bool run_case(const cel_case *c)
{
    bool ok = false;
    ed_doc *doc = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_json(c->vars, strlen(c->vars), &doc, &err))
        fail_msg("vars of '%s' do not parse: %s", c->expr, err.msg);
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        goto cleanup;                                                                              \
    } while (0)
    ed_cel *cel = NULL;
    int rc = ed_cel_parse(c->expr, &cel, &err);
    bool result = false;
    if (rc == 0)
        rc = ed_cel_eval_bool(cel, ed_doc_root(doc), &result, &err);
    const char *msg = err.msg;
    switch (c->want) {
    case T:
    case F:
        if (rc != 0)
            FAIL("'%s': %s", c->expr, msg);
        if (result != (c->want == T))
            FAIL("'%s' is %s", c->expr, result ? "true" : "false");
        break;
    case E:
    case P:
    case B:
        if (rc != ED_EINVALID)
            FAIL("'%s' did not fail (rc %d, result %d)", c->expr, rc, result);
        if ((c->want == P) != (cel == NULL))
            FAIL("'%s' failed in the wrong phase: %s", c->expr, msg);
        if (c->want == B && strstr(msg, "failed to evaluate CEL expression as boolean: '") != msg)
            FAIL("'%s': %s", c->expr, msg);
        if (c->want == P && strstr(msg, "failed to parse the CEL expression '") != msg)
            FAIL("'%s': %s", c->expr, msg);
        if (c->want == E && strstr(msg, "failed to evaluate the CEL expression '") != msg)
            FAIL("'%s': %s", c->expr, msg);
        if (c->msg && !strstr(msg, c->msg))
            FAIL("'%s': want '%s' in: %s", c->expr, c->msg, msg);
        break;
    }
    ok = true;
cleanup:
    ed_cel_free(cel);
    ed_doc_free(doc);
    return ok;
#undef FAIL
}

void test_cel_table(void **state)
{
    (void)state;
    size_t failed = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        failed += !run_case(&cases[i]);
    assert_int_equal(failed, 0);
}

/* The messages in full, as Flux writes them. */
void test_cel_messages(void **state)
{
    (void)state;
    ed_doc *doc = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_doc_parse_json(NOSTATUS, strlen(NOSTATUS), &doc, &err), 0);
    ed_cel *c = NULL;
    bool r = true;
    assert_int_equal(ed_cel_parse("status.conditions[0].status == 'True'", &c, &err), 0);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), ED_EINVALID);
    assert_false(r);
    assert_string_equal(err.msg,
                        "failed to evaluate the CEL expression "
                        "'status.conditions[0].status == 'True'': no such key: conditions");
    ed_cel_free(c);
    assert_int_equal(ed_cel_parse("metadata.name", &c, &err), 0);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to evaluate CEL expression as boolean: 'metadata.name'");
    ed_cel_free(c);
    assert_int_equal(ed_cel_parse("a &&\n  b ==", &c, &err), ED_EINVALID);
    assert_null(c);
    assert_string_equal(err.msg, "failed to parse the CEL expression 'a &&\n  b ==': ERROR: "
                                 "<input>:2:7: Syntax error: mismatched input '<EOF>'");
    ed_cel_free(NULL);
    ed_doc_free(doc);
}

/* Hostile input: deep nesting and long chains are refused at parse time, runaway evaluations
 * stop at the cost limit, long text is refused. */
void test_cel_limits(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_cel *c = NULL;
    /* Deeper than the limit (128) and short enough for the message to hold the issue. */
    size_t n = 200;
    char *text = malloc(3 * n + 16);
    /* ((((...)))) */
    memset(text, '(', n);
    text[n] = '1';
    memset(text + n + 1, ')', n);
    text[2 * n + 1] = '\0';
    assert_int_equal(ed_cel_parse(text, &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "recursion limit"));
    /* 1+1+1+... is as deep, without recursing in the parser. */
    for (size_t i = 0; i < n; i++)
        memcpy(text + 2 * i, "1+", 2);
    memcpy(text + 2 * n, "1", 2);
    assert_int_equal(ed_cel_parse(text, &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "recursion limit"));
    /* !!!!...true and -(-(-...)) */
    memset(text, '!', n);
    memcpy(text + n, "true", 5);
    assert_int_equal(ed_cel_parse(text, &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "recursion limit"));
    /* A hundred levels are fine. */
    memset(text, '!', 100);
    memcpy(text + 100, "true", 5);
    assert_int_equal(ed_cel_parse(text, &c, &err), 0);
    ed_doc *doc = NULL;
    assert_int_equal(ed_doc_parse_json("{}", 2, &doc, &err), 0);
    bool r = false;
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), 0);
    assert_true(r);
    ed_cel_free(c);
    free(text);
    /* A comprehension over comprehensions runs out of budget instead of time. */
    const char *slow = "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(a, "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(b, "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(c, "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(d, "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(e, true)))))";
    assert_int_equal(ed_cel_parse(slow, &c, &err), 0);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "cost limit exceeded"));
    ed_cel_free(c);
    ed_doc_free(doc);
    char *big = malloc(200 * 1000 + 1);
    memset(big, ' ', 200 * 1000);
    big[0] = '1';
    big[200 * 1000] = '\0';
    assert_int_equal(ed_cel_parse(big, &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "size exceeds limit"));
    assert_non_null(strstr(err.msg, "failed to parse the CEL expression '1     "));
    assert_non_null(strstr(err.msg, "     ...': ERROR: <input>:1:1:"));
    free(big);
    assert_int_equal(ed_cel_parse("'\xff' == ''", &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    /* A chain of calls without arguments is as deep (the parser loops over it): capped too. */
    size_t m = 200;
    char *chain = malloc(7 * m + 8);
    chain[0] = 'x';
    for (size_t i = 0; i < m; i++)
        memcpy(chain + 1 + 7 * i, ".trim()", 7);
    chain[1 + 7 * m] = '\0';
    assert_int_equal(ed_cel_parse(chain, &c, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "recursion limit"));
    free(chain);
    /* split's pieces are charged before they are made: a huge split fails, not the memory. */
    assert_int_equal(
        ed_cel_parse("[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1].map(x, "
                     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')"
                     ".join().split('').size() > 0 && "
                     "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1].map(y, "
                     "[1].map(z, 'b').join()).join().split('').size() == 20",
                     &c, &err),
        0);
    assert_int_equal(ed_doc_parse_json("{}", 2, &doc, &err), 0);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), 0); /* small: fine */
    assert_true(r);
    ed_cel_free(c);
    assert_int_equal(ed_cel_parse("[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1].map(x, s).join()"
                                  ".split('').size() > 0",
                                  &c, &err),
                     0);
    ed_doc *vars = NULL;
    char *json = malloc(1200 * 1000);
    memcpy(json, "{\"s\": \"", 7);
    memset(json + 7, 'a', 1000 * 1000);
    memcpy(json + 7 + 1000 * 1000, "\"}", 3);
    assert_int_equal(ed_doc_parse_json(json, strlen(json), &vars, &err), 0);
    free(json);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(vars), &r, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "cost limit exceeded"));
    ed_cel_free(c);
    ed_doc_free(vars);
    /* Fractions of hours and minutes with many digits, in floating point as Go's. */
    assert_int_equal(ed_cel_parse("int(duration('0.123456789h')) / 1000000000 == 444 && "
                                  "int(duration('0.1234567891m')) / 1000000 == 7407",
                                  &c, &err),
                     0);
    assert_int_equal(ed_cel_eval_bool(c, ed_doc_root(doc), &r, &err), 0);
    assert_true(r);
    ed_cel_free(c);
    ed_doc_free(doc);
}

/* ed_cel_check as Flux compiles readyExpr: the variables self and dep, a bool result. */
static const struct {
    const char *expr;
    const char *want; /* the whole message, NULL when the expression passes */
} check_cases[] = {
    {"dep.status.?lastAppliedRevision.orValue('') != ''", NULL},
    {"dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')", NULL},
    {"self.metadata.name == 'app' && dep.metadata.generation == 2", NULL},
    {"has(dep.status.conditions) || !has(self.status)", NULL},
    {"dep.metadata.labels.all(k, k.startsWith('app'))", NULL},
    {"dep.status.conditions.filter(c, c.type == 'Ready').map(c, c.status).all(s, s == 'True')",
     NULL},
    {"dep.status.conditions.map(c, c.type == 'Ready', c.status).exists_one(s, s == 'True')", NULL},
    {"[1, 2].exists(x, x == 2) && size(dep.status.conditions) > 0", NULL},
    {"'x' in dep.metadata.labels && dep.metadata.name.matches('^a')", NULL},
    {"type(dep) == map && int(dep.metadata.generation) == 2 && dyn(dep.x) == string(1)", NULL},
    {"strings.quote(dep.metadata.name) != '' && sets.contains([1], [1]) && "
     "base64.encode(b'a') == 'YQ=='",
     NULL},
    {"optional.of(1).hasValue() && optional.none().orValue(2) == 2", NULL},
    {"dep.status.?phase.optMap(p, p == 'Ready').orValue(false)", NULL},
    {"dep.x.split('-').first().value() == 'a' && dep.x.format([]) == ''", NULL},
    {"timestamp(dep.metadata.creationTimestamp) < timestamp('2030-01-01T00:00:00Z')", NULL},
    {"type(timestamp('2020-01-01T00:00:00Z')) == google.protobuf.Timestamp", NULL},
    {"[dep].exists(self, self.metadata.name == 'x')", NULL},
    {"dep.c.existsOne(c, c.ok)", NULL},
    {"dep.status.ready == true ? true : false", NULL},
    {"dep.status.ready == true ? dep.x : false", NULL}, /* dyn or bool: cel-go decides */
    {"dep.metadata.name + '-x' == 'a-x'", NULL},
    /* Undeclared references, at cel-go's line and column (a method call at its parenthesis). */
    {"foo", "failed to parse the CEL expression 'foo': ERROR: <input>:1:1: undeclared reference "
            "to 'foo' (in container '')"},
    {"deps.status.ready == true", "failed to parse the CEL expression 'deps.status.ready == "
                                  "true': ERROR: <input>:1:1: undeclared reference to 'deps' "
                                  "(in container '')"},
    {"dep.x == 1 &&\n  status.y == 1",
     "failed to parse the CEL expression 'dep.x == 1 &&\n  status.y == 1': ERROR: <input>:2:3: "
     "undeclared reference to 'status' (in container '')"},
    {"dep.c.exists(c, x.type == 'Ready')",
     "failed to parse the CEL expression 'dep.c.exists(c, x.type == 'Ready')': ERROR: "
     "<input>:1:17: undeclared reference to 'x' (in container '')"},
    {"dep.c.exists(c, c.ok) && c.ok", "failed to parse the CEL expression 'dep.c.exists(c, c.ok) "
                                      "&& c.ok': ERROR: <input>:1:26: undeclared reference to "
                                      "'c' (in container '')"},
    {"nosuch(dep)", "failed to parse the CEL expression 'nosuch(dep)': ERROR: <input>:1:1: "
                    "undeclared reference to 'nosuch' (in container '')"},
    {"dep.metadata.name.nosuch()",
     "failed to parse the CEL expression 'dep.metadata.name.nosuch()': ERROR: <input>:1:25: "
     "undeclared reference to 'nosuch' (in container '')"},
    {"has(dep.a, dep.b)", "failed to parse the CEL expression 'has(dep.a, dep.b)': ERROR: "
                          "<input>:1:1: undeclared reference to 'has' (in container '')"},
    {"dep.x.all(y)", "failed to parse the CEL expression 'dep.x.all(y)': ERROR: <input>:1:10: "
                     "undeclared reference to 'all' (in container '')\nERROR: <input>:1:11: "
                     "undeclared reference to 'y' (in container '')"},
    {"foo && 'é' == 'é' && bar",
     "failed to parse the CEL expression 'foo && 'é' == 'é' && bar': ERROR: <input>:1:1: "
     "undeclared reference to 'foo' (in container '')\nERROR: <input>:1:22: undeclared "
     "reference to 'bar' (in container '')"},
    {"strings.nosuch('a')",
     "failed to parse the CEL expression 'strings.nosuch('a')': ERROR: <input>:1:1: undeclared "
     "reference to 'strings' (in container '')\nERROR: <input>:1:15: undeclared reference to "
     "'nosuch' (in container '')"},
    /* Results that are not bool, in cel-go's names of their types. */
    {"'foo'", "CEL expression output type mismatch: expected bool, got string"},
    {"1 + 2", "CEL expression output type mismatch: expected bool, got int"},
    {"-1", "CEL expression output type mismatch: expected bool, got int"},
    {"1.5 * 2.0", "CEL expression output type mismatch: expected bool, got double"},
    {"2u", "CEL expression output type mismatch: expected bool, got uint"},
    {"b'x' + b'y'", "CEL expression output type mismatch: expected bool, got bytes"},
    {"null", "CEL expression output type mismatch: expected bool, got null_type"},
    {"[1, 2]", "CEL expression output type mismatch: expected bool, got list(int)"},
    {"[]", "CEL expression output type mismatch: expected bool, got list(dyn)"},
    {"{'a': [true]}", "CEL expression output type mismatch: expected bool, got map(string, "
                      "list(bool))"},
    {"{}", "CEL expression output type mismatch: expected bool, got map(dyn, dyn)"},
    {"size(dep.status)", "CEL expression output type mismatch: expected bool, got int"},
    {"dep.status.ready", "CEL expression output type mismatch: expected bool, got dyn"},
    {"dep['status']", "CEL expression output type mismatch: expected bool, got dyn"},
    {"dep", "CEL expression output type mismatch: expected bool, got map(string, dyn)"},
    {"dep.status.?ready", "CEL expression output type mismatch: expected bool, got "
                          "optional_type(dyn)"},
    {"dep.metadata.name.lowerAscii()", "CEL expression output type mismatch: expected bool, got "
                                       "string"},
    {"dep.c.map(c, c.type == 'Ready')", "CEL expression output type mismatch: expected bool, got "
                                        "list(bool)"},
    {"dep.c.filter(c, c.ok)", "CEL expression output type mismatch: expected bool, got list(dyn)"},
    {"dep.x.split(',')", "CEL expression output type mismatch: expected bool, got list(string)"},
    {"true ? 'a' : 'b'", "CEL expression output type mismatch: expected bool, got string"},
    {"timestamp('2020-01-01T00:00:00Z')", "CEL expression output type mismatch: expected bool, "
                                          "got google.protobuf.Timestamp"},
    {"[1].all(x, x > 0) ? [1][0] : 2", "CEL expression output type mismatch: expected bool, got "
                                       "int"},
};

void test_cel_check(void **state)
{
    (void)state;
    static const char *const vars[] = {"self", "dep"};
    size_t failed = 0;
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        ed_cel *c = NULL;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(ed_cel_parse(check_cases[i].expr, &c, &err), 0);
        int rc = ed_cel_check(c, vars, 2, true, &err);
        const char *want = check_cases[i].want;
        if (want ? rc != ED_EINVALID || strcmp(err.msg, want) != 0 : rc != 0) {
            print_error("'%s': want %s, got rc %d '%s'\n", check_cases[i].expr,
                        want ? want : "a pass", rc, err.msg);
            failed++;
        }
        ed_cel_free(c);
    }
    assert_int_equal(failed, 0);
    /* Without want_bool any type passes; without variables every name is undeclared. */
    ed_cel *c = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_cel_parse("dep.metadata.name", &c, &err), 0);
    assert_int_equal(ed_cel_check(c, vars, 2, false, &err), 0);
    assert_int_equal(ed_cel_check(c, NULL, 0, false, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to parse the CEL expression 'dep.metadata.name': ERROR: "
                                 "<input>:1:1: undeclared reference to 'dep' (in container '')");
    ed_cel_free(c);
}
