%% bench/erlang/tcp_echo.erl: the Erlang twin of beampp's examples/echo_server.cpp, the server of the TCP
%% benchmarks W11 and W12 (issue 11; bench/tcp_load.cpp is the client, scripts/bench_tcp.sh runs both).
%% One process per connection, active once, echoing every byte it receives on the same connection.
%% Run: erlc -o DIR bench/erlang/tcp_echo.erl && erl -noshell -pa DIR -run tcp_echo main PORT   (PORT 0: any)
%% Prints "listening on port N" once listening, then serves until killed.
-module(tcp_echo).
-export([main/1]).

main([PortText]) ->
    {ok, Listen} = gen_tcp:listen(list_to_integer(PortText),
                                  [binary, {packet, raw}, {active, false}, {reuseaddr, true},
                                   {backlog, 4096}, {nodelay, true}]),
    {ok, Port} = inet:port(Listen),
    io:format("listening on port ~b~n", [Port]),
    accept(Listen).

%% The first process accepts; each connection gets a process of its own.
accept(Listen) ->
    case gen_tcp:accept(Listen) of
        {ok, Socket} ->
            Pid = spawn(fun() -> receive {owner, S} -> echo(S) end end),
            ok = gen_tcp:controlling_process(Socket, Pid),
            Pid ! {owner, Socket};
        {error, Reason} ->
            %% emfile and the like: say so once per failure, back off, keep accepting.
            io:format(standard_error, "tcp_echo: accept: ~p~n", [Reason]),
            timer:sleep(100)
    end,
    accept(Listen).

echo(Socket) ->
    ok = inet:setopts(Socket, [{active, once}]),
    receive
        {tcp, Socket, Data} ->
            gen_tcp:send(Socket, Data),
            echo(Socket);
        {tcp_closed, Socket} ->
            ok;
        {tcp_error, Socket, _Reason} ->
            gen_tcp:close(Socket)
    end.
