package tagged_test

import (
	"fmt"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

func ExampleMarshal() {
	v := py.DictOf("_auth_user_id", "1", "cart", []any{int64(1), int64(2)})
	j, _ := tagged.Marshal(py.Tuple{v, 1.5, []byte("x")})
	fmt.Println(string(j))
	// Output: {"__py__":"tuple","items":[{"_auth_user_id":"1","cart":[1,2]},{"__py__":"float","repr":"1.5","bits":"3ff8000000000000"},{"__py__":"bytes","b64":"eA=="}]}
}
