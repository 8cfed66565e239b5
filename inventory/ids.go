package inventory

import (
	"strconv"
	"strings"
)

// JoinIDs writes broker ids as kfleet prints them everywhere: "1,2,3" (the form ParseBrokerIDs
// reads back).
func JoinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// BrokerIDs lists the brokers' ids in their order.
func BrokerIDs(brokers []*Broker) []int32 {
	ids := make([]int32, len(brokers))
	for i, b := range brokers {
		ids[i] = b.ID
	}
	return ids
}
