package reassign

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestKafkaJSONIsKafkasFormat(t *testing.T) {
	s := snap(brokers("1:a", "2:b", "3:c", "4:a", "5:b", "6:c:fenced"), p("t", 0, 1, 6, 2), p("t", 1, 3, 4, 5))
	pl := mustPlan(t, PlanInput{Snapshot: s})
	data, err := json.Marshal(pl.KafkaJSON())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,3,2]}]}`
	if string(data) != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}
	back, err := ParseKafkaPlan(strings.NewReader(string(data)), "plan.json")
	if err != nil || len(back.Partitions) != 1 || !slices.Equal(back.Partitions[0].Replicas, []int32{1, 3, 2}) {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestParseKafkaPlanIsStrict(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON", `{"version":1,`, "not Kafka's reassignment JSON"},
		{"unknown key (a typo would otherwise cancel)", `{"version":1,"partitions":[{"topic":"t","partition":0,"replica":[1]}]}`, `unknown field "replica"`},
		{"no replicas", `{"version":1,"partitions":[{"topic":"t","partition":0}]}`, `partitions[0] (t-0): no "replicas"`},
		{"version", `{"version":2,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]}`, "version 2"},
		{"empty", `{"version":1,"partitions":[]}`, "nothing to reassign"},
		{"log dir", `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["/data"]}]}`, `log dir "/data"`},
		{"no topic", `{"version":1,"partitions":[{"partition":0,"replicas":[1]}]}`, "partitions[0]: no topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKafkaPlan(strings.NewReader(tt.in), "plan.json")
			var inv *InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want an InvalidError containing %q", err, tt.want)
			}
		})
	}
	ok := `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}`
	if _, err := ParseKafkaPlan(strings.NewReader(ok), "plan.json"); err != nil {
		t.Errorf("Kafka's --generate output with log_dirs any: %v", err)
	}
}

func TestValidateMovesNamesEveryBadEntry(t *testing.T) {
	s := snap(brokers("1:a", "2:b", "3:c", "4:a", "6:c:fenced"), p("t", 0, 1, 2, 6), p("t", 1, 1, 2, 3), p("u", 0, 2, 3, 4))
	in := `{"version":1,"partitions":[
		{"topic":"t","partition":0,"replicas":[1,2,3]},
		{"topic":"nope","partition":0,"replicas":[1,2,3]},
		{"topic":"t","partition":9,"replicas":[1,2,3]},
		{"topic":"t","partition":1,"replicas":[1,1,3]},
		{"topic":"u","partition":0,"replicas":[2,3,42]},
		{"topic":"t","partition":0,"replicas":[1,2,4]},
		{"topic":"u","partition":0,"replicas":[2,3,6]}
	]}`
	kp, err := ParseKafkaPlan(strings.NewReader(in), "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ValidateMoves(kp, s, nil, "plan.json")
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err %v", err)
	}
	want := []string{
		`partitions[1] (nope-0): unknown topic "nope"`,
		"partitions[2] (t-9): topic t has no partition 9",
		"partitions[3] (t-1): broker 1 appears twice",
		"partitions[4] (u-0): broker 42 is not registered",
		"partitions[5] (t-0): listed again (first at partitions[0])",
		"partitions[6] (u-0): listed again",
	}
	if len(inv.Problems) != len(want) {
		t.Errorf("problems:\n%s", strings.Join(inv.Problems, "\n"))
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}

	fenced := `{"version":1,"partitions":[{"topic":"u","partition":0,"replicas":[2,3,6]}]}`
	kp, _ = ParseKafkaPlan(strings.NewReader(fenced), "plan.json")
	if _, _, err := ValidateMoves(kp, s, nil, "plan.json"); err == nil || !strings.Contains(err.Error(), "broker 6 is fenced") {
		t.Errorf("adding a fenced broker: %v", err)
	}
}

func TestValidateMovesBuildsMoves(t *testing.T) {
	s := snap(brokers("1:a", "2:b", "3:c", "4:a", "6:c:fenced"), p("t", 0, 1, 2, 6), p("t", 1, 1, 2, 3), p("u", 0, 2, 3, 4))
	in := `{"version":1,"partitions":[
		{"topic":"t","partition":1,"replicas":[1,2,3]},
		{"topic":"u","partition":0,"replicas":[2,3,1]},
		{"topic":"t","partition":0,"replicas":[1,2,3]}
	]}`
	kp, _ := ParseKafkaPlan(strings.NewReader(in), "plan.json")
	moves, notes, err := ValidateMoves(kp, s, Sizes{"t": {0: 10}, "u": {0: 20}}, "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "t-1: replicas already [1 2 3]") {
		t.Errorf("notes %v", notes)
	}
	// t-0 is under-replicated at min ISR (2 of 3 in sync): it goes first.
	if len(moves) != 2 || moves[0].String() != "t-0" || !moves[0].Urgent || moves[1].String() != "u-0" {
		t.Fatalf("moves %+v", moves)
	}
	if a := moves[0].Adding(); !slices.Equal(a, []int32{3}) || moves[0].Bytes != 10 {
		t.Errorf("t-0 adds %v, bytes %d", a, moves[0].Bytes)
	}
	if c := moves[0].Changes; len(c) != 1 || c[0].Position != 2 || c[0].From != 6 || c[0].To != 3 {
		t.Errorf("t-0 changes %+v", c)
	}
}
