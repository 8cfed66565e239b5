package kafka

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFeatureReadsFinalizedAndSupportedLevels(t *testing.T) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SupportedFeatures = []kmsg.ApiVersionsResponseSupportedFeature{
		{Name: "kraft.version", MinVersion: 0, MaxVersion: 1},
		{Name: MetadataVersionFeature, MinVersion: 7, MaxVersion: 27},
	}
	resp.FinalizedFeatures = []kmsg.ApiVersionsResponseFinalizedFeature{{Name: MetadataVersionFeature, MaxVersionLevel: 21, MinVersionLevel: 21}}
	if got := Feature(resp, MetadataVersionFeature); got != (FeatureLevels{Finalized: 21, Min: 7, Max: 27, Supported: true}) {
		t.Errorf("metadata.version: %+v", got)
	}
	if got := Feature(resp, "group.version"); got != (FeatureLevels{Finalized: -1}) {
		t.Errorf("a feature the broker does not report: %+v", got)
	}
}
