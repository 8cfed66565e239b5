package inventory

import "strings"

// Closest returns the candidate that name is most plausibly a typo of, or "" when none is close
// enough to suggest. Case, '-' and '_' differences count as the same name.
func Closest(name string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 0
	for _, c := range candidates {
		if norm(c) == norm(name) {
			return c
		}
		limit := max(1, len(c)/3)
		if dist := editDistance(strings.ToLower(name), c); dist <= limit && (best == "" || dist < bestDist) {
			best, bestDist = c, dist
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of adjacent characters each cost one, so "hots" is one edit from "host".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Keys worth suggesting for are short; a long key is not a typo of one.
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb))
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
