/*
 * Unit tests for util/fault.c's stall entries (`name=MS` in COMICBATCH_FAULT): found only as a whole entry of the
 * comma-separated list, not inside another name or as a bare kill point, and bounded.
 */
#include <criterion/criterion.h>

#include "util/fault.h"

Test(fault, stall_entries_are_whole_list_items)
{
    cr_assert_eq(fault_spec_stall_ms("leader:stall_in_write=2500", "leader:stall_in_write"), 2500);
    cr_assert_eq(fault_spec_stall_ms("flush:after_commit,leader:stall_in_write=40", "leader:stall_in_write"), 40);
    cr_assert_eq(fault_spec_stall_ms("xleader:stall_in_write=40", "leader:stall_in_write"), 0);
    cr_assert_eq(fault_spec_stall_ms("leader:stall_in_write", "leader:stall_in_write"), 0, "a kill point, no stall");
    cr_assert_eq(fault_spec_stall_ms("leader:stall_in_write_more=5", "leader:stall_in_write"), 0);
    cr_assert_eq(fault_spec_stall_ms(NULL, "leader:stall_in_write"), 0);
    cr_assert_eq(fault_spec_stall_ms("", "leader:stall_in_write"), 0);
}

Test(fault, stall_values_are_bounded)
{
    cr_assert_eq(fault_spec_stall_ms("p=0", "p"), 0);
    cr_assert_eq(fault_spec_stall_ms("p=-5", "p"), 0);
    cr_assert_eq(fault_spec_stall_ms("p=junk", "p"), 0);
    cr_assert_eq(fault_spec_stall_ms("p=3600000", "p"), 0, "an hour or more is a typo, not a test");
    cr_assert_eq(fault_spec_stall_ms("a=1,p=7,b=2", "p"), 7);
}
