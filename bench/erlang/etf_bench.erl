#!/usr/bin/env escript
%% -*- erlang -*-
%%! +S 1 +sbwt none +sbwtdcpu none +sbwtdio none
%% bench/erlang/etf_bench.erl: Erlang's side of bench/etf_bench.cpp, the same workload timed in OTP.
%%
%%   escript bench/erlang/etf_bench.erl CORPUS PASSES REPETITIONS
%%
%% CORPUS holds {packet,4} frames, each the term_to_binary bytes of one term (beampp wrote them). The script decodes
%% them once, checks that term_to_binary gives the same bytes back, then times REPETITIONS repetitions of PASSES
%% passes over the corpus: term_to_binary/1 of every term (etf_encode) and binary_to_term/1 of every frame
%% (etf_decode), after one untimed warm-up pass each. It prints one line per workload with the median, minimum and
%% maximum wall time of one pass, and the median CPU time of one pass:
%%   ERLANG workload=etf_encode terms=N bytes=B passes=P repetitions=R median_ns=... min_ns=... max_ns=...
%%     cpu_median_ns=...
%% It runs compiled (not interpreted), so the code it times is what the JIT makes of it, as in any application, on
%% one scheduler that does not busy-wait (the work is one process; idle schedulers spinning would only add noise).
-mode(compile).

main([CorpusPath, PassesText, RepsText]) ->
    Passes = list_to_integer(PassesText),
    Reps = list_to_integer(RepsText),
    {ok, Corpus} = file:read_file(CorpusPath),
    Frames = frames(Corpus, []),
    Terms = [binary_to_term(F) || F <- Frames],
    Bytes = lists:sum([byte_size(F) || F <- Frames]),
    Same = length([ok || {T, F} <- lists:zip(Terms, Frames), term_to_binary(T) =:= F]),
    io:format("ERLANG otp=~s schedulers=~b same_bytes=~b/~b~n",
              [erlang:system_info(otp_release), erlang:system_info(schedulers), Same, length(Frames)]),
    report(etf_encode, Terms, Bytes, Passes, time_all(fun() -> encode(Terms, 0) end, Passes, Reps)),
    report(etf_decode, Terms, Bytes, Passes, time_all(fun() -> decode(Frames) end, Passes, Reps)),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: etf_bench.erl CORPUS PASSES REPETITIONS~n", []),
    halt(2).

frames(<<Size:32, Frame:Size/binary, Rest/binary>>, Acc) -> frames(Rest, [Frame | Acc]);
frames(<<>>, Acc) -> lists:reverse(Acc).

%% The size sum keeps each term_to_binary/1 result used.
encode([T | Ts], Size) -> encode(Ts, Size + byte_size(term_to_binary(T)));
encode([], Size) -> Size.

decode([F | Fs]) ->
    _ = binary_to_term(F),
    decode(Fs);
decode([]) -> ok.

%% {wall, cpu} nanoseconds per pass of each repetition (one warm-up pass first). CPU time is less disturbed than
%% wall time when other programs load the machine.
time_all(Pass, Passes, Reps) ->
    _ = Pass(),
    [begin
         erlang:garbage_collect(),
         CpuStart = cpu_ns(),
         Start = erlang:monotonic_time(nanosecond),
         passes(Pass, Passes),
         Wall = erlang:monotonic_time(nanosecond) - Start,
         {Wall div Passes, (cpu_ns() - CpuStart) div Passes}
     end || _ <- lists:seq(1, Reps)].

%% The OS process's user + system CPU time (all its threads, as Google Benchmark counts beampp's), from
%% /proc/self/stat in clock ticks of 10 ms; statistics(runtime) (user time only) where /proc is missing.
cpu_ns() ->
    case file:read_file("/proc/self/stat") of
        {ok, Stat} ->
            [_, AfterName] = string:split(Stat, <<") ">>, trailing),
            Fields = binary:split(AfterName, <<" ">>, [global]),
            Ticks = binary_to_integer(lists:nth(12, Fields)) + binary_to_integer(lists:nth(13, Fields)),
            Ticks * 10000000;
        {error, _} ->
            {Ms, _} = statistics(runtime),
            Ms * 1000000
    end.

passes(_, 0) -> ok;
passes(Pass, N) ->
    _ = Pass(),
    passes(Pass, N - 1).

report(Workload, Terms, Bytes, Passes, Times) ->
    Sorted = lists:sort([Wall || {Wall, _} <- Times]),
    Cpu = lists:sort([C || {_, C} <- Times]),
    io:format("ERLANG workload=~s terms=~b bytes=~b passes=~b repetitions=~b median_ns=~b min_ns=~b max_ns=~b "
              "cpu_median_ns=~b~n",
              [Workload, length(Terms), Bytes, Passes, length(Times), median(Sorted), hd(Sorted),
               lists:last(Sorted), median(Cpu)]).

median(Sorted) ->
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) div 2
    end.
