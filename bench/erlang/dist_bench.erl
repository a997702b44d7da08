%% bench/erlang/dist_bench.erl: the Erlang twin of bench/dist_bench.cpp (issue 13's W14 and W15): the same roles,
%% messages and RESULT keys. scripts/bench_dist.sh runs both, each as client and as server.
%%   erl -sname N -setcookie C -noshell -pa EBIN -run dist_bench main serve
%%       registers `echo` (sends every {From, Seq, Payload} back to From) and `w15_server` (w8_server.erl:
%%       {ok, Request} for every call), prints "ready NODE", runs until `echo` receives `stop`.
%%   ... -run dist_bench main w14 PEER MSGS WINDOW SERVER
%%   ... -run dist_bench main w15 PEER CALLS SERVER
-module(dist_bench).
-export([main/1]).

main(["serve"]) ->
    register(echo, self()),
    {ok, _} = gen_server:start({local, w15_server}, w8_server, [], []),
    io:format("ready ~s~n", [node()]),
    echo_loop(),
    halt();
main(["w14", Peer, Msgs, Window, Server]) ->
    report(w14(list_to_atom(Peer), list_to_integer(Msgs), list_to_integer(Window), Server));
main(["w15", Peer, Calls, Server]) ->
    report(w15(list_to_atom(Peer), list_to_integer(Calls), Server)).

report(Line) ->
    io:format("~s~n", [Line]),
    halt().

echo_loop() ->
    receive
        {From, _, _} = M when is_pid(From) -> From ! M, echo_loop();
        stop -> ok
    end.

next_echo() ->
    receive {P, Seq, _} when is_pid(P), is_integer(Seq) -> Seq end.

%% W14: at most Window messages on their way; a message counts once it is back.
w14(Peer, N, Window, Server) ->
    Echo = {echo, Peer},
    Me = self(),
    Echo ! {Me, 0, hello},
    0 = next_echo(),
    T0 = erlang:monotonic_time(),
    First = min(Window, N),
    [Echo ! {Me, I, hello} || I <- lists:seq(1, First)],
    w14_loop(Echo, Me, First, N, 0),
    Seconds = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / 1.0e9,
    io_lib:format("RESULT system=erlang workload=w14_dist_send client=erl server=~s msgs=~b msg=tuple_of_3 "
                  "window=~b msgs_per_sec=~b", [Server, N, Window, round(N / Seconds)]).

w14_loop(_, _, _, N, N) -> ok;
w14_loop(Echo, Me, Sent, N, Back) ->
    next_echo(),
    case Sent < N of
        true -> Echo ! {Me, Sent + 1, hello}, w14_loop(Echo, Me, Sent + 1, N, Back + 1);
        false -> w14_loop(Echo, Me, Sent, N, Back + 1)
    end.

%% W15: Calls gen_server calls one after another, each one's latency kept.
w15(Peer, Calls, Server) ->
    Name = {w15_server, Peer},
    {ok, 0} = gen_server:call(Name, 0),
    T0 = erlang:monotonic_time(),
    Us = lists:sort([call_us(Name, I) || I <- lists:seq(1, Calls)]),
    Seconds = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / 1.0e9,
    io_lib:format("RESULT system=erlang workload=w15_dist_call client=erl server=~s calls=~b calls_per_sec=~b "
                  "p50_us=~.1f p99_us=~.1f max_us=~.1f",
                  [Server, Calls, round(Calls / Seconds), percentile(Us, 0.50), percentile(Us, 0.99),
                   lists:last(Us)]).

call_us(Name, I) ->
    T = erlang:monotonic_time(),
    {ok, I} = gen_server:call(Name, I),
    erlang:convert_time_unit(erlang:monotonic_time() - T, native, nanosecond) / 1000.

%% The same index as dist_bench.cpp takes: floor(P * (N - 1)), 0-based.
percentile(Sorted, P) ->
    lists:nth(trunc(P * (length(Sorted) - 1)) + 1, Sorted).
