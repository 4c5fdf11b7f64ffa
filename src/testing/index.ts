/** Testing a topology like code: test files run on the embedded transport (see docs/testing.md). */
export { readTestFile, TestFileSchema, type TestFile, type TestCaseSpec } from './test-file.ts';
export { findTestFiles, runTestFile, exitCodeOf, type FileResult, type CaseResult, type Failure } from './suite.ts';
export { reporters, caseText, fileHeaderText, problemsText, summaryText, junitText, jsonText, type ReporterName } from './reporters.ts';
export { matchesSubset } from './match.ts';
export { createTopologyTestDriver, TopologyTestDriver, type TestDriverOptions } from './driver.ts';
