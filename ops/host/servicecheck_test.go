package host

import "testing"

func TestProgramOfAServiceCommand(t *testing.T) {
	for cmd, want := range map[string]string{
		"/opt/kafka/bin/kafka-service start": "/opt/kafka/bin/kafka-service",
		"sudo systemctl start kafka":         "sudo",
		"KAFKA_HEAP_OPTS=-Xmx1g /opt/k/bin/kafka-server-start.sh -daemon /etc/k.properties": "/opt/k/bin/kafka-server-start.sh",
		`"/opt/my kafka/start"`:  "",
		"cd /opt && ./start":     "cd",
		"   ":                    "",
		"$HOME/bin/start":        "",
		"/opt/a=b/bin/start --x": "/opt/a=b/bin/start",
	} {
		if got := program(cmd); got != want {
			t.Errorf("program(%q) = %q, want %q", cmd, got, want)
		}
	}
}
