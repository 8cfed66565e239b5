package inventory

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Local paths (keys, CA files, known_hosts, password files) are files on the machine running
// kfleet: "~" is $HOME and relative paths are relative to the inventory file, so the inventory
// means the same thing from any working directory. Remote paths (install) are on broker hosts
// and must be absolute.

// localPath reads a path on this machine and makes it absolute. An empty string is kept, where
// allowed, as "none" (identity_file: "" means ssh-agent).
func (d *decoder) localPath(n *yaml.Node, field string, allowEmpty bool) *string {
	var v *string
	if allowEmpty {
		v = d.str(n, field)
	} else {
		v = d.text(n, field)
	}
	if v == nil || *v == "" {
		return v
	}
	p, err := d.expand(*v)
	if err != nil {
		d.errorf(d.deref(n), field, "%v", err)
		return nil
	}
	return &p
}

func (d *decoder) expand(p string) (string, error) {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if d.homeErr != nil {
			return "", fmt.Errorf("cannot expand ~: %v; write the full path", d.homeErr)
		}
		p = filepath.Join(d.home, p[1:])
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("~user paths are not supported, got %q; write ~/... or the full path", truncate(p, 60))
	case !filepath.IsAbs(p):
		p = filepath.Join(d.dir, p)
	}
	return filepath.Clean(p), nil
}

// remotePath reads an absolute path on a broker host.
func (d *decoder) remotePath(n *yaml.Node, field string) *string {
	v := d.text(n, field)
	if v == nil {
		return nil
	}
	if !path.IsAbs(*v) {
		d.errorf(d.deref(n), field, "must be an absolute path on the broker host, got %q", truncate(*v, 60))
		return nil
	}
	p := path.Clean(*v)
	return &p
}
