// The source of citadel_test_pch (tests/CMakeLists.txt): the target only
// carries the tests' precompiled header; this file compiles to nothing.
