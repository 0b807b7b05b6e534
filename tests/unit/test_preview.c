#include <criterion/criterion.h>
Test(preview, placeholder) { cr_assert(1); }
