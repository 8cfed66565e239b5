package fault

// Next is what the operator does after an operation stopped short, as data the command line
// words: the domain knows which step comes next, the command line knows its own commands.
type Next int

const (
	// FixThenResume: a step failed; fix the cause, then resume.
	FixThenResume Next = iota + 1
	// Resume: the run stopped cleanly; resume continues it.
	Resume
	// CheckThenResume: cut short mid-step; check the cluster, then resume.
	CheckThenResume
	// ResumeOrCancel: moves stopped; see their status, then resume or cancel them.
	ResumeOrCancel
	// FollowOrCancel: moves were left running; resume follows them, cancel reverts them.
	FollowOrCancel
)

// Resumable is an error of an operation that can be continued.
type Resumable interface {
	error
	// NextStep names the operation and what to do about it.
	NextStep() (opID string, next Next)
}
