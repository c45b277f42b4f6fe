import { assertEquals } from "@std/assert";
import { escapees } from "../../src/_process/groups.ts";
import type { ProcessTable } from "../../src/_process/tree.ts";

// Leader 100 (group 100) has a child 101 in its group; 101's child 102 called
// setsid (group 102) and has a child 103 in group 102; 104 is 100's child in
// group 200, led by someone else (300); 105 belongs to another tree.
const table: ProcessTable = new Map([
  [1, { ppid: 0, pgrp: 1 }],
  [100, { ppid: 1, pgrp: 100 }],
  [101, { ppid: 100, pgrp: 100 }],
  [102, { ppid: 101, pgrp: 102 }],
  [103, { ppid: 102, pgrp: 102 }],
  [104, { ppid: 100, pgrp: 300 }],
  [300, { ppid: 1, pgrp: 300 }],
  [105, { ppid: 1, pgrp: 105 }],
]);

Deno.test("escapees() finds the descendants that left the group: a group they lead whole, else each pid", () => {
  assertEquals(escapees(100, table).sort((a, b) => a - b), [-102, 104]);
});

Deno.test("escapees() finds nothing without a table or for a tree that stayed in its group", () => {
  assertEquals(escapees(100, null), []);
  assertEquals(escapees(105, table), []);
});
