package deploy

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/kfleet/kfleet/ops/fault"
)

// Artifact is a Kafka binary distribution tarball checked on this machine before any host is
// touched.
type Artifact struct {
	Path    string `json:"path" yaml:"path"`
	Size    int64  `json:"size" yaml:"size"`
	SHA256  string `json:"sha256" yaml:"sha256"`
	Version string `json:"version" yaml:"version"`
	// TopDir is the tarball's single top directory (kafka_2.13-4.2.0); it is stripped on unpack.
	TopDir string `json:"top_dir" yaml:"top_dir"`
	// ServerJar is the broker jar, relative to the release directory (libs/kafka_2.13-4.2.0.jar).
	ServerJar string `json:"server_jar" yaml:"server_jar"`
}

// ArtifactError says the artifact cannot be deployed; nothing was touched.
type ArtifactError struct {
	Path    string
	Problem string
}

func (e *ArtifactError) Error() string { return fmt.Sprintf("artifact %s: %s", e.Path, e.Problem) }

// FaultKind says what kind of failure this is (usage: nothing was changed).
func (e *ArtifactError) FaultKind() fault.Kind { return fault.Usage }

// serverJar matches the broker jar of a distribution, libs/kafka_2.13-4.2.0.jar, and not its
// siblings (-test, -sources, -javadoc).
var serverJar = regexp.MustCompile(`^kafka_2\.[0-9]+-([0-9]+\.[0-9]+\.[0-9]+(?:-[A-Za-z0-9.]+)?)\.jar$`)

// versionPattern is what a release directory name may be: it becomes a path on every host.
var versionPattern = regexp.MustCompile(`^[0-9][0-9A-Za-z._-]{0,63}$`)

// ValidVersion checks a release version given on the command line or found in an artifact.
func ValidVersion(v string) error {
	if !versionPattern.MatchString(v) || strings.Contains(v, "..") {
		return fmt.Errorf("%q is not a release version (digits, letters, '.', '_' and '-', starting with a digit)", v)
	}
	return nil
}

// InspectArtifact reads the tarball once: it hashes it, checks that it is a Kafka binary
// distribution (one top directory holding bin/kafka-server-start.sh, config/ and
// libs/kafka_2.*-V.jar) and finds V. version and sha256, when not empty, must match.
func InspectArtifact(file, version, sha string) (Artifact, error) {
	bad := func(format string, args ...any) (Artifact, error) {
		return Artifact{}, &ArtifactError{Path: file, Problem: fmt.Sprintf(format, args...)}
	}
	if version != "" {
		if err := ValidVersion(version); err != nil {
			return bad("--version: %v", err)
		}
	}
	sha = strings.ToLower(strings.TrimSpace(sha))
	if sha != "" && !isSHA256(sha) {
		return bad("--sha256 %q is not a SHA-256 digest (64 hex digits)", sha)
	}
	f, err := os.Open(file)
	if err != nil {
		return bad("%v", errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return bad("%v", err)
	}
	if !st.Mode().IsRegular() {
		return bad("not a regular file")
	}
	h := sha256.New()
	c, err := scanDistribution(io.TeeReader(f, h))
	if err != nil {
		return bad("not a Kafka binary distribution tarball: %v", err)
	}
	// Hash what tar did not need to read (padding, trailing blocks).
	if _, err := io.Copy(h, f); err != nil {
		return bad("%v", err)
	}
	a := Artifact{Path: file, Size: st.Size(), SHA256: hex.EncodeToString(h.Sum(nil)), TopDir: c.top}
	if sha != "" && sha != a.SHA256 {
		return bad("SHA-256 is %s, not %s as --sha256 says; nothing was touched", a.SHA256, sha)
	}
	if missing := c.missing(); len(missing) > 0 {
		return bad("not a Kafka binary distribution: %s missing under %s/", strings.Join(missing, ", "), c.top)
	}
	switch {
	case len(c.versions) > 1:
		return bad("several broker jars (%s); cannot tell the version", strings.Join(c.jars, ", "))
	case version != "" && c.versions[0] != version:
		return bad("it is Kafka %s (%s), not %s as --version says", c.versions[0], c.jars[0], version)
	}
	a.Version = c.versions[0]
	a.ServerJar = "libs/" + c.jars[0]
	if err := ValidVersion(a.Version); err != nil {
		return bad("%v", err)
	}
	return a, nil
}

type distribution struct {
	top       string
	serverSh  bool
	config    bool
	jars      []string
	versions  []string
	otherTops []string
}

func (d *distribution) missing() []string {
	var m []string
	if len(d.jars) == 0 {
		m = append(m, "libs/kafka_2.*-VERSION.jar")
	}
	if !d.serverSh {
		m = append(m, "bin/kafka-server-start.sh")
	}
	if !d.config {
		m = append(m, "config/")
	}
	return m
}

// scanDistribution walks a gzipped tarball's entries.
func scanDistribution(r io.Reader) (*distribution, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	d := &distribution{}
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		n++
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("entry %q escapes the release directory", hdr.Name)
		}
		top, rest, _ := strings.Cut(name, "/")
		if d.top == "" {
			d.top = top
		} else if top != d.top {
			if !slices.Contains(d.otherTops, top) {
				d.otherTops = append(d.otherTops, top)
			}
			continue
		}
		switch dir, base := path.Split(rest); {
		case rest == "bin/kafka-server-start.sh":
			d.serverSh = true
		case rest == "config" || strings.HasPrefix(rest, "config/"):
			d.config = true
		case dir == "libs/" && serverJar.MatchString(base) && !isSideJar(base):
			d.jars = append(d.jars, base)
			d.versions = append(d.versions, serverJar.FindStringSubmatch(base)[1])
		}
	}
	// Drain the gzip stream so the hash covers the whole file.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("reading gzip: %w", err)
	}
	if n == 0 {
		return nil, errors.New("the tarball is empty")
	}
	if len(d.otherTops) > 0 {
		return nil, fmt.Errorf("more than one top directory (%s, %s)", d.top, strings.Join(d.otherTops, ", "))
	}
	return d, nil
}

// isSideJar tells the broker jar's siblings (kafka_2.13-4.2.0-test.jar, -sources, -javadoc,
// -scaladoc) from a pre-release broker jar (kafka_2.13-4.2.0-rc1.jar).
func isSideJar(name string) bool {
	for _, s := range []string{"-test.jar", "-sources.jar", "-test-sources.jar", "-javadoc.jar", "-scaladoc.jar"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
