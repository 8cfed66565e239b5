package kafka

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// answerTimeout bounds each broker's answer in Answering.
const answerTimeout = time.Second

// Answering asks each broker of ids for its ApiVersions, over the client's own connection
// (authenticated as every request is), and says which answered within a second: a broker whose
// process died refuses the connection at once, before the controller fences it.
func Answering(ctx context.Context, cl *kgo.Client, ids []int32) map[int32]bool {
	ok := make(map[int32]bool, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, answerTimeout)
			defer cancel()
			req := kmsg.NewPtrApiVersionsRequest()
			req.ClientSoftwareName, req.ClientSoftwareVersion = "kfleet", "1"
			if _, err := req.RequestWith(ctx, cl.Broker(int(id))); err != nil {
				return
			}
			mu.Lock()
			ok[id] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	return ok
}
