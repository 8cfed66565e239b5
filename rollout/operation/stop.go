package operation

// Closed reports whether ch is closed: the soft stop of the first Ctrl-C, or a lost lease. A
// nil channel is never closed.
func Closed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
