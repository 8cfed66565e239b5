package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// A read of several clusters exits with its worst cluster's code, not its first failure's: the
// first cluster cannot even be dialled (its SASL password is not set: exit 2), the last cannot be
// reached (69), and the one between answers. Each failure has its line, in the inventory's
// order, and the answering cluster's result is printed.
func TestMultiClusterReadsExitWithTheWorst(t *testing.T) {
	t.Setenv("KFLEET_TEST_UNSET_PASSWORD", "") // restored after the test
	os.Unsetenv("KFLEET_TEST_UNSET_PASSWORD")
	inv := writeFile(t, "fleet.yaml", fmt.Sprintf(`clusters:
  - name: locked
    bootstrap: ["127.0.0.1:1"]
    kafka: {sasl: {mechanism: SCRAM-SHA-512, user: ops, password_env: KFLEET_TEST_UNSET_PASSWORD}}
    brokers:
      - {id: 0, host: 127.0.0.10}
  - name: golden
    bootstrap: [%q]
    brokers:
      - {id: 0, host: 127.0.0.20}
  - name: gone
    bootstrap: ["127.0.0.1:1"]
    brokers:
      - {id: 0, host: 127.0.0.30}
`, goldenKafka(t)))
	for _, tc := range []struct {
		args     []string
		answered string // what golden's result says
	}{
		{[]string{"lease", "show"}, "golden    free"},
		{[]string{"reassign", "status"}, "cluster golden: 0 reassignment(s) in flight"},
		{[]string{"lease", "show", "-o", "json"}, `"cluster": "golden",` + "\n      \"held\": false"},
		{[]string{"reassign", "status", "-o", "json"}, `"cluster": "golden",` + "\n      \"under_replicated\": 0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"-i", inv}, tc.args...)...)
			if code != 69 {
				t.Errorf("exit %d, want 69 (the worst of 2 and 69)", code)
			}
			if !strings.Contains(out, tc.answered) {
				t.Errorf("the answering cluster's result is missing (want %q):\n%s", tc.answered, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "kfleet: cluster locked: kafka.sasl:") ||
				!strings.HasPrefix(lines[1], "kfleet: cluster gone: cannot reach Kafka") {
				t.Errorf("want one error line for locked, then one for gone:\n%s", errOut)
			}
		})
	}
}
