package iam

// InputMembers returns, per operation, the members its validation checks, as
// AWS names them in messages.
func InputMembers() map[string][]string {
	out := map[string][]string{}
	for op, ms := range operationInputs {
		names := []string{}
		for _, m := range ms {
			if m.shape.isBoolean && !m.required {
				continue // no constraint to break
			}
			names = append(names, lowerFirst(m.param))
		}
		out[op] = names
	}
	return out
}
