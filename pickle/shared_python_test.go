package pickle

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/pybridge"
	"github.com/djangobridge/bridge/internal/tagged"
)

// TestTaggedSharedMatchesPython checks that Go and Python agree on which values are shared
// (compat_test/FORMAT.md, "Shared values"): for every fixture pickle of two Django versions
// (their sessions include shared strs, lists, dicts, tuples and objects), tagged.Marshal of
// what Decode returns equals pytagged.to_tagged(pickle.loads(p), share=True), run by the
// version's own python with the fixtures' PYTHONHASHSEED=0 (so that sets iterate as
// pickled). Live: it needs compat_test/setup.sh.
func TestTaggedSharedMatchesPython(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the compat_test venvs): skipped under -short")
	}
	root, err := pybridge.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	codec := &Codec{AllowGlobals: []string{cartItemGlobal}}
	for _, v := range []string{"3.2", "6.1"} {
		py, err := pybridge.Python(v)
		if err != nil {
			t.Fatalf("%v (run compat_test/setup.sh)", err)
		}
		cf, err := fixtures.LoadCache(v, "pymemcache")
		if err != nil {
			t.Fatal(err)
		}
		var req bytes.Buffer
		for _, c := range cf.Cases {
			req.WriteString(base64.StdEncoding.EncodeToString(c.Pickle) + "\n")
		}
		cmd := exec.Command(py, "-c", `import sys, json, base64, pickle
sys.path.insert(0, sys.argv[1])
import pytagged
for line in sys.stdin:
    v = pickle.loads(base64.b64decode(line))
    print(json.dumps(pytagged.to_tagged(v, share=True)))`, filepath.Join(root, "compat_test"))
		cmd.Stdin = &req
		cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0", "DJANGO_SETTINGS_MODULE=djproject.settings")
		cmd.Dir = filepath.Join(root, "compat_test")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("django-%s python: %v", v, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<24)
		shared := 0
		for _, c := range cf.Cases {
			if !sc.Scan() {
				t.Fatalf("django-%s: python wrote fewer lines than cases", v)
			}
			val, err := codec.Decode(c.Pickle)
			if err != nil {
				t.Fatalf("django-%s %s: %v", v, c.Name, err)
			}
			gj, err := tagged.Marshal(val)
			if err != nil {
				t.Fatal(err)
			}
			var g, p any
			if err := json.Unmarshal(gj, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, p) {
				t.Errorf("django-%s %s:\n    Go %.400s\nPython %.400s", v, c.Name, gj, sc.Bytes())
			}
			if bytes.Contains(gj, []byte(`"__py__":"ref"`)) {
				shared++
			}
		}
		if shared == 0 {
			t.Errorf("django-%s: no fixture case has a shared value", v)
		}
	}
}
