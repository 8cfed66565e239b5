package kafka

import "testing"

func TestParseRelease(t *testing.T) {
	for in, want := range map[string]ReleaseLine{
		"3.9.1": {3, 9}, "3.8": {3, 8}, "3.8-IV0": {3, 8}, "0.10.2-IV0": {0, 10}, "4.2-IV1": {4, 2}, " 4.0.0 ": {4, 0},
	} {
		if got, ok := ParseRelease(in); !ok || got != want {
			t.Errorf("ParseRelease(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "3", "x.y", "trunk"} {
		if _, ok := ParseRelease(bad); ok {
			t.Errorf("ParseRelease(%q) accepted", bad)
		}
	}
}
