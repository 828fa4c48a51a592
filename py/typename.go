package py

import (
	"math/big"
)

// TypeName returns the name of the Python type a Go value of the model stands for: "int",
// "str", "datetime.datetime", "global module.name" for a [Global]; for a Go value outside the
// model, its Go type.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int, int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case ByteArray:
		return "bytearray"
	case []any:
		return "list"
	case Tuple:
		return "tuple"
	case *Dict:
		return "dict"
	case *OrderedDict:
		return "collections.OrderedDict"
	case *Set:
		return "set"
	case *FrozenSet:
		return "frozenset"
	case complex128:
		return "complex"
	case DateTime:
		return "datetime.datetime"
	case Date:
		return "datetime.date"
	case Time:
		return "datetime.time"
	case TimeDelta:
		return "datetime.timedelta"
	case TimeZone:
		return "datetime.timezone"
	case ZoneInfo:
		return "zoneinfo.ZoneInfo"
	case PytzZone:
		return "pytz timezone"
	case Decimal:
		return "decimal.Decimal"
	case UUID:
		return "uuid.UUID"
	case Global:
		return "global " + x.String()
	case *Object:
		return x.Global.String() + " object"
	}
	return "Go value"
}
