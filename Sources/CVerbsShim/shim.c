#include "CVerbsShim.h"
