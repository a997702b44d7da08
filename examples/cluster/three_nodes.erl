%% examples/cluster/three_nodes.erl: the erl node of examples/cluster/three_nodes.sh, beside two beampp nodes
%% (example_cluster_node). It pings both, sends a message that goes erl -> first beampp node -> second beampp
%% node -> back to erl, uses the first node's C++ gen_server, then stops both. Each step prints one line; a step
%% that fails prints why and halts with status 1.
-module(three_nodes).
-export([main/1]).

main([First, Second]) ->
    C1 = list_to_atom(First),
    C2 = list_to_atom(Second),
    try
        pong = net_adm:ping(C1),
        pong = net_adm:ping(C2),
        io:format("ping: ~s and ~s answer pong; nodes(hidden) = ~p~n", [C1, C2, lists:sort(nodes(hidden))]),
        {echo, C1} ! {relay, C2, self(), <<"round the triangle">>},
        receive
            {echo, M} -> io:format("relay: ~p went erl -> ~s -> ~s and came back~n", [M, C1, C2])
        after 5000 -> error(no_relay)
        end,
        ok = gen_server:call({kv, C1}, {put, lang, <<"C++">>}),
        <<"C++">> = gen_server:call({kv, C1}, {get, lang}),
        io:format("kv: gen_server:call({kv, ~s}, {get, lang}) returned <<\"C++\">>~n", [C1]),
        [monitor(process, {cluster, C}) || C <- [C1, C2]],
        [{cluster, C} ! stop || C <- [C1, C2]],
        [receive {'DOWN', _, process, {cluster, C}, _} -> ok after 5000 -> error({not_stopped, C}) end
         || C <- [C1, C2]],
        io:format("done: both beampp nodes stopped~n"),
        halt(0)
    catch
        Class:Reason ->
            io:format("failed: ~p:~p~n", [Class, Reason]),
            halt(1)
    end.
