package cluster

// Quorum is the KRaft controller quorum as its leader reports it.
type Quorum struct {
	LeaderID      int32 // the active controller
	LeaderEpoch   int32
	HighWatermark int64
	Voters        []QuorumReplica
	Observers     []QuorumReplica
}

// QuorumReplica is one voter's (or observer's) replication state of the metadata log.
type QuorumReplica struct {
	ID             int32
	LogEndOffset   int64
	LastFetchMs    int64 // leader's clock; -1 when unknown
	LastCaughtUpMs int64 // leader's clock; -1 when unknown
}
