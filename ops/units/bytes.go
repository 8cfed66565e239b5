// Package units formats and parses the quantities kfleet prints and reads: byte sizes and
// rates. It imports only the standard library.
package units

import "fmt"

// Bytes formats a byte count in binary units: 512 B, 1.5 KiB, 3.2 GiB.
func Bytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
