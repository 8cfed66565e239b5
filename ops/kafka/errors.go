package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/ops/fault"
)

// Op is one request kfleet makes and the ACL a secured cluster checks before answering it,
// so a refusal can say what to grant.
type Op struct {
	Request string // what kfleet asked, e.g. "DescribeConfigs of the brokers"
	ACL     string // the operation on the resource, e.g. "DescribeConfigs on Cluster"
	// ClusterOp is the operation on the Cluster resource the request needs, for checking ahead
	// (RequireClusterOps); 0 when the ACL is on another resource.
	ClusterOp kmsg.ACLOperation
}

// The requests kfleet makes, with the ACL each needs (docs/security.md lists them all).
var (
	OpMetadata            = Op{"Metadata of every topic", "Describe on Topic:*", 0}
	OpDescribeCluster     = Op{"DescribeCluster", "Describe on Cluster", kmsg.ACLOperationDescribe}
	OpTopicConfigs        = Op{"DescribeConfigs of the topics (min.insync.replicas)", "DescribeConfigs on Topic:*", 0}
	OpBrokerConfigs       = Op{"DescribeConfigs of the brokers", "DescribeConfigs on Cluster", kmsg.ACLOperationDescribeConfigs}
	OpAlterBrokerConfigs  = Op{"IncrementalAlterConfigs of the brokers", "AlterConfigs on Cluster", kmsg.ACLOperationAlterConfigs}
	OpListReassignments   = Op{"ListPartitionReassignments", "Describe on Cluster", kmsg.ACLOperationDescribe}
	OpAlterReassignments  = Op{"AlterPartitionReassignments", "Alter on Cluster", kmsg.ACLOperationAlter}
	OpElectLeaders        = Op{"ElectLeaders (preferred leaders after each batch)", "Alter on Cluster", kmsg.ACLOperationAlter}
	OpUpdateFeatures      = Op{"UpdateFeatures", "Alter on Cluster", kmsg.ACLOperationAlter}
	OpAlterReplicaConfigs = Op{"IncrementalAlterConfigs of the brokers (replication throttles)", "AlterConfigs on Cluster", kmsg.ACLOperationAlterConfigs}
	OpAlterTopicThrottles = Op{"IncrementalAlterConfigs of the moved topics (throttled replicas)", "AlterConfigs on each moved topic", 0}
)

// DeniedError says Kafka authenticated kfleet but its ACLs refused a request. Nothing was
// changed by the refused request.
type DeniedError struct {
	Cluster string
	Op      Op
	Err     error
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("cluster %s: Kafka denied %s (%v): the principal kfleet connects as (kafka.sasl.user) needs the ACL %s; grant it, or use an admin principal (docs/security.md)",
		e.Cluster, e.Op.Request, e.Err, e.Op.ACL)
}

// FaultKind says what kind of failure this is (unreachable: nothing was changed).
func (e *DeniedError) FaultKind() fault.Kind { return fault.Unreachable }

func (e *DeniedError) Unwrap() error { return e.Err }

// Failure turns a failed request into the error kfleet reports: a *DeniedError when
// an ACL refused it, else a *UnreachableError whose message says what went wrong in words an
// operator can act on (authentication, TLS, wrong listener). It returns nil for a nil err and
// leaves alone errors that are already one of those, a *SettingsError and a cancellation.
func Failure(cluster string, op Op, err error) error {
	if err == nil {
		return nil
	}
	var denied *DeniedError
	var down *UnreachableError
	var settings *SettingsError
	switch {
	case errors.As(err, &denied), errors.As(err, &down), errors.As(err, &settings), errors.Is(err, context.Canceled):
		// Already explained, or not Kafka's doing (an interrupt is reported as one).
		return err
	case IsAuthorizationError(err):
		return &DeniedError{Cluster: cluster, Op: op, Err: err}
	}
	return &UnreachableError{Cluster: cluster, Err: explainConnError(err)}
}

// IsAuthorizationError reports whether err is one of Kafka's "not authorized" answers.
func IsAuthorizationError(err error) bool {
	return errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) ||
		errors.Is(err, kerr.DelegationTokenAuthorizationFailed)
}

// explainConnError prefixes what the failure means when it is one of the usual ways a secured
// connection goes wrong. The original error stays wrapped (and in the message).
func explainConnError(err error) error {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
	)
	msg := err.Error()
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("authentication failed: the brokers rejected the SASL user name or password (check kafka.sasl.user and the password its password_env or password_file holds): %w", err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("authentication failed: the brokers do not accept this SASL mechanism (kafka.sasl.mechanism): %w", err)
	case errors.Is(err, kerr.IllegalSaslState):
		return fmt.Errorf("authentication failed: the listener does not expect SASL (is kafka.sasl set for a listener without it?): %w", err)
	case errors.As(err, &unknownCA):
		return fmt.Errorf("TLS handshake failed: the broker's certificate is not signed by a CA in kafka.tls.ca_file (or the system roots): %w", err)
	case errors.As(err, &hostname):
		return fmt.Errorf("TLS handshake failed: the broker's certificate is not valid for the address dialled (set kafka.tls.server_name to a name it holds): %w", err)
	case errors.As(err, &invalid):
		return fmt.Errorf("TLS handshake failed: the broker's certificate is not valid: %w", err)
	case errors.As(err, &record):
		return fmt.Errorf("TLS handshake failed: the listener does not speak TLS (remove kafka.tls, or use the SSL/SASL_SSL port): %w", err)
	case strings.Contains(msg, "remote error: tls: certificate required"), strings.Contains(msg, "remote error: tls: bad certificate"):
		// The broker's alert (crypto/tls does not export its type).
		return fmt.Errorf("TLS handshake failed: the broker wants a client certificate it trusts (kafka.tls.cert_file and key_file): %w", err)
	case strings.Contains(msg, "tls: "):
		return fmt.Errorf("TLS handshake failed: %w", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "connection reset by peer"):
		return fmt.Errorf("the broker closed the connection during the first request (a TLS or SASL listener reached without kafka.tls or kafka.sasl, or credentials it refused?): %w", err)
	}
	return err
}
