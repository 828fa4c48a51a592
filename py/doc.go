// Package py is the Python value model that the codecs of this module produce and consume: a
// decoded Django session is a *[Dict] of these values, whether it came from a pickle (package
// pickle) or from JSON (package pyjson). Plain Go values stand for the common Python types;
// named types stand for the rest, so that nothing is lost on a round trip:
//
//	Python                         Go
//	None                           nil
//	bool                           bool
//	int                            int64, or *big.Int when it does not fit
//	float                          float64
//	str                            string (UTF-8; a str with lone surrogates keeps their
//	                               surrogatepass bytes, so utf8.ValidString reports false)
//	bytes                          []byte
//	bytearray                      ByteArray
//	list                           []any
//	tuple                          Tuple
//	dict                           *Dict (ordered; keys of any hashable type)
//	collections.OrderedDict        *OrderedDict
//	set, frozenset                 *Set, *FrozenSet
//	complex                        complex128
//	datetime.datetime, date, time  DateTime, Date, Time (TZ nil when naive)
//	datetime.timedelta             TimeDelta
//	datetime.timezone              TimeZone (a TZInfo)
//	zoneinfo.ZoneInfo              ZoneInfo (a TZInfo)
//	pytz.utc, pytz zones           PytzZone (a TZInfo, kept as the call that rebuilds it)
//	decimal.Decimal                Decimal (its str() form)
//	uuid.UUID                      UUID
//	a class or function            Global
//	other allow-listed instances   *Object (inert: how the pickle rebuilds it)
//
// The package also holds the pieces of Python's behaviour that more than one codec needs,
// written once: dict key identity (1, 1.0 and True are one key), repr of a float
// ([FloatRepr]), isoformat and fromisoformat ([DateTime.Isoformat], [FromISOFormat]), the
// timedelta constructor's normalisation ([NewTimeDelta]), base64.b64decode's lenient rules
// ([Base64Decode]), and a type-strict comparison of two values ([Equal]).
//
// A Dict, a Set and the other containers are not safe for concurrent use.
package py
