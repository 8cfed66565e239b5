package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

const (
	fakeAdminPass  = "admin-secret-Zx81"
	fakeViewerPass = "viewer-secret-Qa27"
)

// securedFake is a kfake cluster with SASL (SCRAM-SHA-512) and ACLs: "admin" is a superuser,
// "viewer" may describe the cluster and every topic, "nobody" may do nothing.
func securedFake(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	all := append([]kfake.Opt{
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.EnableACLs(),
		kfake.Superuser("SCRAM-SHA-512", "admin", fakeAdminPass),
		kfake.User("SCRAM-SHA-512", "viewer", fakeViewerPass,
			kfake.ACL{Resource: kmsg.ACLResourceTypeCluster, Name: "kafka-cluster", Pattern: kmsg.ACLResourcePatternTypeLiteral,
				Operation: kmsg.ACLOperationDescribe, Allow: true},
			kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "*", Pattern: kmsg.ACLResourcePatternTypeLiteral,
				Operation: kmsg.ACLOperationDescribe, Allow: true},
			kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "*", Pattern: kmsg.ACLResourcePatternTypeLiteral,
				Operation: kmsg.ACLOperationDescribeConfigs, Allow: true}),
		kfake.User("SCRAM-SHA-512", "nobody", fakeViewerPass),
		kfake.SeedTopics(3, "orders"),
	}, opts...)
	c, err := kfake.NewCluster(all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// securedCluster is the inventory entry for a fake cluster, the password in a file.
func securedCluster(t *testing.T, addrs []string, user, pass string, tlsSettings *inventory.TLS) *inventory.Cluster {
	t.Helper()
	pw := filepath.Join(t.TempDir(), user+".password")
	if err := os.WriteFile(pw, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &inventory.Cluster{Name: "secure", Bootstrap: addrs, Kafka: inventory.Kafka{
		TLS:  tlsSettings,
		SASL: &inventory.SASL{Mechanism: "SCRAM-SHA-512", User: user, PasswordFile: pw},
	}}
}

func snapshotOf(t *testing.T, c *inventory.Cluster) (*cluster.Snapshot, error) {
	t.Helper()
	cl, err := NewClient(c, Options{DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return TakeSnapshot(ctx, cl, c.Name)
}

func TestSnapshotOverSASL(t *testing.T) {
	fc := securedFake(t)
	snap, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", fakeAdminPass, nil))
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	if got := snap.Counts.Partitions; got != 3 {
		t.Fatalf("admin sees %d partitions, want the 3 of orders", got)
	}
	if _, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "viewer", fakeViewerPass, nil)); err != nil {
		t.Fatalf("viewer (Describe on Cluster and Topic:*) should read a snapshot: %v", err)
	}
}

// kfake drops the connection on bad credentials where Kafka answers SaslAuthenticate with an
// error; the real broker's answer is checked end to end (sandbox/e2e/secure_test.go).
func TestWrongPasswordIsUnreachableWithoutThePassword(t *testing.T) {
	fc := securedFake(t)
	_, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", "not-the-password", nil))
	var down *UnreachableError
	if !errors.As(err, &down) {
		t.Fatalf("got %T %v, want *KafkaUnreachableError", err, err)
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("message shows the password: %v", err)
	}
}

func TestKafkaFailureExplains(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("sasl: %w", kerr.SaslAuthenticationFailed), "authentication failed: the brokers rejected the SASL user name or password"},
		{kerr.UnsupportedSaslMechanism, "kafka.sasl.mechanism"},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "the listener does not speak TLS"},
		{io.EOF, "closed the connection during the first request"},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), "connection refused"},
	}
	for _, tc := range cases {
		err := Failure("c1", OpMetadata, tc.err)
		var down *UnreachableError
		if !errors.As(err, &down) || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("KafkaFailure(%v) = %v, want *KafkaUnreachableError saying %q and wrapping the cause", tc.err, err, tc.want)
		}
	}
	err := Failure("c1", OpBrokerConfigs, fmt.Errorf("broker 1: %w", kerr.ClusterAuthorizationFailed))
	var denied *DeniedError
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "DescribeConfigs on Cluster") {
		t.Errorf("an authorization error became %T %v, want *KafkaDeniedError naming the ACL", err, err)
	}
	if again := Failure("c1", OpMetadata, err); again != err {
		t.Errorf("KafkaFailure rewrapped an explained error: %v", again)
	}
	for _, keep := range []error{fmt.Errorf("stopping: %w", context.Canceled), &SettingsError{Cluster: "c1", Field: "kafka.sasl", Err: io.EOF}} {
		if got := Failure("c1", OpMetadata, keep); got != keep {
			t.Errorf("KafkaFailure(%v) = %v, want it unchanged", keep, got)
		}
	}
	if Failure("c1", OpMetadata, nil) != nil {
		t.Error("KafkaFailure(nil) is not nil")
	}
}

func TestDeniedNamesTheOperation(t *testing.T) {
	fc := securedFake(t)
	_, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "nobody", fakeViewerPass, nil))
	var denied *DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("got %T %v, want *KafkaDeniedError", err, err)
	}
	// Whichever request came first, the message names what to grant.
	if !strings.Contains(err.Error(), "needs the ACL Describe on") {
		t.Fatalf("message does not name the ACL: %v", err)
	}
}

// A principal that may describe the cluster but only some topics would get a metadata answer
// without the others, and the gate would pass over their partitions: the snapshot refuses.
func TestHiddenTopicsAreRefused(t *testing.T) {
	fc := securedFake(t, kfake.User("SCRAM-SHA-512", "partial", fakeViewerPass,
		kfake.ACL{Resource: kmsg.ACLResourceTypeCluster, Name: "kafka-cluster", Pattern: kmsg.ACLResourcePatternTypeLiteral,
			Operation: kmsg.ACLOperationDescribe, Allow: true},
		kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "orders", Pattern: kmsg.ACLResourcePatternTypeLiteral,
			Operation: kmsg.ACLOperationDescribe, Allow: true}))
	_, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "partial", fakeViewerPass, nil))
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Op != OpMetadata {
		t.Fatalf("got %T %v, want a denial of %v", err, err, OpMetadata)
	}
	if !strings.Contains(err.Error(), "Describe on Topic:*") {
		t.Fatalf("message does not name the ACL: %v", err)
	}
}

func TestTLSErrorsSayWhatToCheck(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t, "kfleet test CA")
	serverCert := newLeaf(t, ca, caKey, net.ParseIP("127.0.0.1"))
	fc := securedFake(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}))
	caFile := writePEM(t, dir, "ca.pem", ca.Raw)
	other, _ := newCA(t, "some other CA")
	otherFile := writePEM(t, dir, "other.pem", other.Raw)

	if _, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", fakeAdminPass, &inventory.TLS{CAFile: caFile})); err != nil {
		t.Fatalf("TLS with the right CA: %v", err)
	}
	cases := []struct {
		name string
		tls  *inventory.TLS
		want string
	}{
		{"unknown CA", &inventory.TLS{CAFile: otherFile}, "not signed by a CA in kafka.tls.ca_file"},
		{"wrong server name", &inventory.TLS{CAFile: caFile, ServerName: "kafka.example.com"}, "kafka.tls.server_name"},
		{"plaintext client to a TLS listener", nil, "without kafka.tls or kafka.sasl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", fakeAdminPass, tc.tls))
			var down *UnreachableError
			if !errors.As(err, &down) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %T %v, want *KafkaUnreachableError saying %q", err, err, tc.want)
			}
		})
	}
}

// Mutual TLS: a listener that requires a client certificate accepts kafka.tls.cert_file/key_file
// and refuses a client without one, saying what to set.
func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t, "kfleet test CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	serverCert := newLeaf(t, ca, caKey, net.ParseIP("127.0.0.1"))
	fc := securedFake(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}))
	caFile := writePEM(t, dir, "ca.pem", ca.Raw)
	client := newLeaf(t, ca, caKey, net.ParseIP("127.0.0.1"))
	certFile := writePEM(t, dir, "client.pem", client.Certificate[0])
	der, err := x509.MarshalPKCS8PrivateKey(client.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "client.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}

	withCert := &inventory.TLS{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	if _, err := snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", fakeAdminPass, withCert)); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	_, err = snapshotOf(t, securedCluster(t, fc.ListenAddrs(), "admin", fakeAdminPass, &inventory.TLS{CAFile: caFile}))
	var down *UnreachableError
	if !errors.As(err, &down) || !strings.Contains(err.Error(), "kafka.tls.cert_file") {
		t.Fatalf("without a client certificate: got %T %v, want *KafkaUnreachableError naming kafka.tls.cert_file", err, err)
	}
}

func TestBadCAFileIsNamed(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &inventory.Cluster{Name: "secure", Bootstrap: []string{"127.0.0.1:1"}, Kafka: inventory.Kafka{TLS: &inventory.TLS{CAFile: bad}}}
	_, err := NewClient(c, Options{})
	if err == nil || !strings.Contains(err.Error(), "kafka.tls") || !strings.Contains(err.Error(), bad) {
		t.Fatalf("got %v, want an error naming kafka.tls and %s", err, bad)
	}
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, ip net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kafka-broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{ip}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, dir, name string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRequireClusterOps(t *testing.T) {
	fc := securedFake(t)
	check := func(user, pass string, ops ...Op) error {
		t.Helper()
		cl, ctx := fakeClient(t, fc, user, pass)
		return RequireClusterOps(ctx, cl, "secure", ops...)
	}
	if err := check("admin", fakeAdminPass, OpElectLeaders, OpAlterBrokerConfigs, OpBrokerConfigs); err != nil {
		t.Errorf("a super user: %v", err)
	}
	if err := check("viewer", fakeViewerPass, OpDescribeCluster, OpMetadata); err != nil {
		t.Errorf("viewer for what it may do (and ops on other resources, not checked here): %v", err)
	}
	err := check("viewer", fakeViewerPass, OpDescribeCluster, OpElectLeaders)
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Op != OpElectLeaders || !strings.Contains(err.Error(), "Alter on Cluster") {
		t.Errorf("viewer asking for ElectLeaders: got %T %v, want a denial naming Alter on Cluster", err, err)
	}
}

func TestRequireTopicOps(t *testing.T) {
	fc := securedFake(t)
	check := func(user, pass string) error {
		t.Helper()
		cl, ctx := fakeClient(t, fc, user, pass)
		return RequireTopicOps(ctx, cl, "secure", []string{"orders"}, kmsg.ACLOperationAlterConfigs, OpAlterTopicThrottles)
	}
	if err := check("admin", fakeAdminPass); err != nil {
		t.Errorf("a super user: %v", err)
	}
	err := check("viewer", fakeViewerPass)
	var denied *DeniedError
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "refused for topic orders") {
		t.Errorf("viewer (no AlterConfigs on topics): got %T %v, want a denial naming topic orders", err, err)
	}
}

// fakeClient is a client for the secured fake cluster as user, closed when the test ends, and a
// context bounding one check.
func fakeClient(t *testing.T, fc *kfake.Cluster, user, pass string) (*kgo.Client, context.Context) {
	t.Helper()
	cl, err := NewClient(securedCluster(t, fc.ListenAddrs(), user, pass, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return cl, ctx
}
