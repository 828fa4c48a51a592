package py_test

import (
	"fmt"
	"time"

	"github.com/djangobridge/bridge/py"
)

func ExampleDateTime_Time() {
	// Django's _session_expiry on 3.2 with USE_TZ: an aware datetime in UTC.
	dt := py.DateTime{Year: 2023, Month: 11, Day: 28, Hour: 22, Minute: 13, Second: 20, TZ: py.TimeZone{}}
	fmt.Println(dt.Time(nil).Unix())
	fmt.Println(py.DateTimeOf(time.Unix(1701209600, 0), py.TimeZone{}) == dt)
	// Output:
	// 1701209600
	// true
}
