; Every `task:` key, in block style (`- task: X@1`) and flow style (`- { task: X@1 }`).
; The model decides from the surrounding structure whether the mapping is a step.
; Keys may be quoted; the predicate compares the key's whole text.

(block_mapping_pair
  key: (flow_node) @key
  (#any-of? @key "task" "\"task\"" "'task'")) @pair

(flow_pair
  key: (flow_node) @key
  (#any-of? @key "task" "\"task\"" "'task'")) @pair
