'use strict';
/**
 * autocannon `setupRequest` for the gateway benchmark: every request gets a path drawn at random
 * from the benchmark's mix, so the 50 connections do not walk one list in lockstep. autocannon
 * loads it by path in its worker thread, where ts-node is not registered, hence plain JS; the
 * mix comes in a JSON file named by GATEWAY_BENCH_MIX (worker threads inherit the environment).
 */
const paths = require(process.env.GATEWAY_BENCH_MIX);

module.exports = function randomRequest(request) {
  request.path = paths[Math.floor(Math.random() * paths.length)];
  return request;
};
