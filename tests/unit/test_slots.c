#include <criterion/criterion.h>
Test(slots, placeholder) { cr_assert(1); }
