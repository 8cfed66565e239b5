package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

// UnreachableError says a cluster could not be reached or refused us (network, TLS, SASL).
// Nothing was changed when it is returned.
type UnreachableError struct {
	Cluster string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cluster %s: cannot reach Kafka: %v", e.Cluster, e.Err)
}

// FaultKind says what kind of failure this is (unreachable: nothing was changed).
func (e *UnreachableError) FaultKind() fault.Kind { return fault.Unreachable }

func (e *UnreachableError) Unwrap() error { return e.Err }

// Options tunes the client built for one cluster.
type Options struct {
	Logger      *slog.Logger
	DialTimeout time.Duration // 0 -> 5s
	ClientID    string        // "" -> "kfleet"
}

// NewClient builds a franz-go client for a cluster from its inventory entry: bootstrap
// servers, TLS and SASL. It does not connect; the first request does.
func NewClient(c *inventory.Cluster, o Options) (*kgo.Client, error) {
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.ClientID == "" {
		o.ClientID = "kfleet"
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Bootstrap...),
		kgo.ClientID(o.ClientID),
		kgo.DialTimeout(o.DialTimeout),
		// Admin reads are retried by the caller's deadline, not by a long client default.
		kgo.RetryTimeout(10 * time.Second),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	if o.Logger != nil {
		opts = append(opts, kgo.WithLogger(kafkaLogger{o.Logger}))
	}
	sec, err := SecurityOpts(c)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, sec...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return cl, nil
}

// SettingsError says a cluster's TLS or SASL settings cannot be used as they are: a CA or
// key file that cannot be read, a password variable that is not set. Nothing was sent to Kafka.
type SettingsError struct {
	Cluster string
	Field   string // kafka.tls or kafka.sasl
	Err     error
}

func (e *SettingsError) Error() string {
	return fmt.Sprintf("cluster %s: %s: %v", e.Cluster, e.Field, e.Err)
}

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *SettingsError) FaultKind() fault.Kind { return fault.Usage }

func (e *SettingsError) Unwrap() error { return e.Err }

// SecurityOpts are the client options for a cluster's TLS and SASL settings (none for a
// plaintext cluster). Errors name the inventory field and file, never a password.
func SecurityOpts(c *inventory.Cluster) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if c.Kafka.TLS != nil {
		cfg, err := tlsConfig(c.Kafka.TLS)
		if err != nil {
			return nil, &SettingsError{Cluster: c.Name, Field: "kafka.tls", Err: err}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if c.Kafka.SASL != nil {
		mech, err := saslMechanism(c.Kafka.SASL)
		if err != nil {
			return nil, &SettingsError{Cluster: c.Name, Field: "kafka.sasl", Err: err}
		}
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

func tlsConfig(t *inventory.TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func saslMechanism(s *inventory.SASL) (sasl.Mechanism, error) {
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	switch s.Mechanism {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: pw}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: pw}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: pw}.AsSha512Mechanism(), nil
	}
	return nil, errors.New("mechanism " + s.Mechanism + " is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
}

// kafkaLogger sends franz-go's own logs to slog, so -v shows connection trouble.
type kafkaLogger struct{ l *slog.Logger }

// Level keeps franz-go quiet: its warnings (a dead broker refusing connections) are what status
// reports anyway, and its debug output is per request. -v shows its info lines.
func (k kafkaLogger) Level() kgo.LogLevel {
	if k.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelError
}

func (k kafkaLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelInfo:
		lv = slog.LevelInfo
	}
	k.l.Log(context.Background(), lv, "kafka: "+msg, keyvals...)
}
