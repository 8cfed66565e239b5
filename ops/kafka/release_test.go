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

// The lowest and highest release line among the brokers' versions, as the first broker (by id)
// with it spelled it; what does not parse is left out.
func TestLowestAndHighestRelease(t *testing.T) {
	vs := map[int32]string{1: "3.9-IV0", 2: "3.8", 3: "junk", 4: "3.9", 5: "3.8-IV1"}
	if got := LowestRelease(vs); got != "3.8" {
		t.Errorf("lowest %q, want 3.8 (broker 2's spelling)", got)
	}
	if got := HighestRelease(vs); got != "3.9-IV0" {
		t.Errorf("highest %q, want 3.9-IV0 (broker 1's spelling)", got)
	}
	if got := LowestRelease(map[int32]string{1: "junk"}); got != "" {
		t.Errorf("lowest %q of nothing that parses, want empty", got)
	}
}
