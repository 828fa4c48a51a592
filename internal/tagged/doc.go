// Package tagged is the tagged JSON of compat_test/FORMAT.md: every value of package py as
// JSON, plain where JSON has the type (str, int, float, bool, None, list, str-keyed dict) and
// {"__py__": ...} objects for the rest (tuple, bytes, datetime, Decimal, sets, ...), with shared
// values written once and referred to after. The compatibility fixtures, the Python side of the
// harness (compat_test/pytagged.py) and the command-line tool's decode and get speak it.
package tagged
