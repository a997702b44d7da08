// bench/term_bench.cpp: the costs the rest of beampp leans on: copying a term (O(1) at any size: a
// reference-count increment), finding an existing atom (a "_a" literal, beam::atom("..."), atom::existing),
// and comparing and hashing terms. Run from the release preset:
//
//   cmake --preset release && cmake --build --preset release -j2 --target term_bench &&
//   build/release/bench/term_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include <beam/beam.hpp>

namespace {

using beam::term;
using namespace beam::literals;

// A tuple of `n` elements, each a small tuple with a binary: a term whose deep copy would cost O(n).
term big_tuple(std::int64_t n) {
  std::vector<term> elements;
  elements.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) elements.push_back(beam::tuple(i, "payload"));
  return beam::make_tuple(std::move(elements));
}

term int_list(std::int64_t n) {
  std::vector<term> elements;
  for (std::int64_t i = 0; i < n; ++i) elements.emplace_back(i);
  return beam::make_list(std::move(elements));
}

// --- copy ---

void copy_small_integer(benchmark::State& state) {
  const term t = 42;
  for (auto _ : state) {
    term copy = t;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(copy_small_integer);

void copy_tuple(benchmark::State& state) {
  const term t = big_tuple(state.range(0));
  for (auto _ : state) {
    term copy = t;
    benchmark::DoNotOptimize(copy);
  }
  state.SetLabel("elements=" + std::to_string(state.range(0)));
}
BENCHMARK(copy_tuple)->Arg(1)->Arg(100)->Arg(10'000)->Arg(1'000'000);

void copy_map(benchmark::State& state) {
  std::vector<beam::map_entry> entries;
  for (std::int64_t i = 0; i < state.range(0); ++i) entries.emplace_back(i, "value");
  const term t = beam::make_map(std::move(entries));
  for (auto _ : state) {
    term copy = t;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(copy_map)->Arg(4)->Arg(100'000);

// --- atoms ---

void atom_literal(benchmark::State& state) {
  for (auto _ : state) {
    beam::atom a = "hello_world"_a;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(atom_literal);

void atom_from_existing_text(benchmark::State& state) {
  const std::string text = "hello_world";
  (void)beam::atom(text);
  for (auto _ : state) {
    beam::atom a(text);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(atom_from_existing_text);

void atom_existing_lookup(benchmark::State& state) {
  const std::string text = "hello_world";
  (void)beam::atom(text);
  for (auto _ : state) {
    auto a = beam::atom::existing(text);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(atom_existing_lookup);

void atom_text(benchmark::State& state) {
  const beam::atom a = "hello_world"_a;
  for (auto _ : state) {
    auto text = a.text();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(atom_text);

// --- compare and hash ---

void equal_small_integers(benchmark::State& state) {
  const term a = 42, b = 42;
  for (auto _ : state) benchmark::DoNotOptimize(a == b);
}
BENCHMARK(equal_small_integers);

// Two equal lists built apart, so equality walks every element (no shared node to short-cut on).
void equal_int_lists(benchmark::State& state) {
  const term a = int_list(state.range(0)), b = int_list(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(a == b);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(equal_int_lists)->Arg(10)->Arg(1000);

void compare_tuples(benchmark::State& state) {
  const term a = big_tuple(state.range(0)), b = big_tuple(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(a <=> b);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(compare_tuples)->Arg(10)->Arg(1000);

void compare_atoms(benchmark::State& state) {
  const term a = "alpha"_a, b = "beta"_a;
  for (auto _ : state) benchmark::DoNotOptimize(a <=> b);
}
BENCHMARK(compare_atoms);

void hash_atom(benchmark::State& state) {
  const term t = "hello_world"_a;
  for (auto _ : state) benchmark::DoNotOptimize(t.hash());
}
BENCHMARK(hash_atom);

void hash_tuple(benchmark::State& state) {
  const term t = big_tuple(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(t.hash());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(hash_tuple)->Arg(3)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
