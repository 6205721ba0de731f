#include "CReplicastSystem.h"
