package kafka

import "github.com/twmb/franz-go/pkg/kmsg"

// MetadataVersionFeature is the feature that versions a KRaft cluster's metadata.
const MetadataVersionFeature = "metadata.version"

// FeatureLevels is what one broker's ApiVersions answer says of a feature.
type FeatureLevels struct {
	// Finalized is the level the cluster finalized; -1 when none.
	Finalized int16
	// Min and Max are the levels this broker's release supports, when Supported.
	Min, Max  int16
	Supported bool
}

// Feature reads a feature's levels from an ApiVersions response.
func Feature(resp *kmsg.ApiVersionsResponse, name string) FeatureLevels {
	l := FeatureLevels{Finalized: -1}
	for _, f := range resp.SupportedFeatures {
		if f.Name == name {
			l.Min, l.Max, l.Supported = f.MinVersion, f.MaxVersion, true
		}
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == name && f.MaxVersionLevel > l.Finalized {
			l.Finalized = f.MaxVersionLevel
		}
	}
	return l
}
