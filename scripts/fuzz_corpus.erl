%% fuzz_corpus: writes the seed corpus of fuzz/etf_decode_fuzzer.cpp, one term_to_binary per file.
%% Run through scripts/make_fuzz_corpus.sh. Deterministic: the same files every run on the same OTP release.
-module(fuzz_corpus).
-export([main/1]).

main([OutDir]) ->
    ok = filelib:ensure_dir(filename:join(OutDir, "x")),
    rand:seed(exsss, {16#bea, 16#e7f, 2024}),
    Terms = fixed_terms() ++ [random_term(4) || _ <- lists:seq(1, 300)],
    Plain = [{"term", term_to_binary(T)} || T <- Terms],
    Compressed = [{"compressed", term_to_binary(T, [compressed])} || T <- lists:sublist(Terms, 1, 60)]
        ++ [{"compressed9", term_to_binary(T, [{compressed, 9}])} || T <- [lists:seq(1, 3000), binary:copy(<<"ab">>, 5000)]],
    Files = Plain ++ Compressed ++ old_forms(),
    lists:foldl(fun({Kind, Bin}, N) ->
                        Name = io_lib:format("~4..0B-~s.etf", [N, Kind]),
                        ok = file:write_file(filename:join(OutDir, Name), Bin),
                        N + 1
                end, 0, Files),
    io:format("wrote ~B files to ~s~n", [length(Files), OutDir]).

%% Every tag OTP 25 writes, at its edges.
fixed_terms() ->
    Remote = binary_to_term(<<131, 88, 100, 0, 5, "a@b.c", 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 7>>),
    RemoteRef = binary_to_term(<<131, 90, 0, 2, 100, 0, 3, "a@b", 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 8>>),
    RemotePort = binary_to_term(<<131, 89, 100, 0, 5, "a@b.c", 0, 0, 0, 9, 0, 0, 0, 7>>),
    RemoteV4Port = binary_to_term(<<131, 120, 100, 0, 5, "a@b.c", 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7>>),
    [0, 255, 256, -1, 2147483647, -2147483648, 2147483648, -2147483649, 1 bsl 63, -(1 bsl 63), 1 bsl 64,
     1 bsl 2040, -(1 bsl 3000), 1.5, -0.0, 0.1, 1.0e300, 5.0e-324,
     ok, '', 'h\x{e9}llo', list_to_atom([1087, 1088, 1080]), list_to_atom([16#1F600]),
     list_to_atom(lists:duplicate(255, $a)), list_to_atom(lists:duplicate(255, 1092)),
     {}, {1, a}, list_to_tuple(lists:seq(1, 300)), [], "abc", [1 | 2], [256], [a, b | c], lists:duplicate(300, 1),
     <<>>, <<1, 2, 3>>, <<1, 2, 3:5>>, <<1:1>>, #{}, #{a => 1, 1 => 2, 1.0 => 3, "s" => 4, <<"b">> => 5},
     maps:from_list([{I, I} || I <- lists:seq(1, 40)]), fun lists:map/2, fun 'Elixir.Enum':reduce/3,
     self(), Remote, make_ref(), RemoteRef, list_to_port("#Port<0.5>"), RemotePort, RemoteV4Port,
     {ok, [1, {2, "x"}], #{k => [<<"v">>]}}, lists:foldl(fun(_, Acc) -> [Acc] end, [], lists:seq(1, 200))].

random_term(0) -> random_leaf();
random_term(Depth) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([random_term(Depth - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        2 -> [random_term(Depth - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)];
        3 -> [random_term(Depth - 1) || _ <- lists:seq(1, rand:uniform(4))] ++ random_leaf();
        4 -> maps:from_list([{random_term(Depth - 1), random_term(Depth - 1)} || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        5 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(20))];
        _ -> random_leaf()
    end.

random_leaf() ->
    case rand:uniform(12) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        3 -> (rand:uniform(1 bsl 62) + (1 bsl 62)) * (1 bsl (rand:uniform(200))) * (rand:uniform(3) - 2);
        4 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(600) - 300);
        5 -> list_to_atom([$a + rand:uniform(26) - 1 || _ <- lists:seq(1, rand:uniform(10))]);
        6 -> list_to_atom([rand:uniform(16#3FF) || _ <- lists:seq(1, rand:uniform(6))]);
        7 -> rand:bytes(rand:uniform(40) - 1);
        8 -> <<(rand:bytes(2))/binary, 5:(rand:uniform(7))>>;
        9 -> self();
        10 -> make_ref();
        11 -> fun erlang:element/2;
        12 -> []
    end.

%% Forms OTP reads but no longer writes, built by hand.
old_forms() ->
    Node = <<100, 0, 13, "nonode@nohost">>,
    [{"small_atom", <<131, 115, 3, "abc">>},
     {"atom_latin1_long", <<131, 100, 0, 200, (binary:copy(<<233>>, 200))/binary>>},
     {"pid_ext", <<131, 103, Node/binary, 0, 0, 0, 9, 0, 0, 0, 0, 0>>},
     {"port_ext", <<131, 102, Node/binary, 0, 0, 0, 9, 0>>},
     {"reference_ext", <<131, 101, Node/binary, 0, 0, 0, 7, 0>>},
     {"new_reference_ext", <<131, 114, 0, 2, 100, 0, 3, "a@b", 3, 0, 0, 0, 7, 0, 0, 0, 8>>},
     {"float_ext", <<131, 99, "1.50000000000000000000e+00", 0, 0, 0, 0, 0>>},
     {"list_tail_list", <<131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106>>},
     {"list_tail_string", <<131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 5, 6>>},
     {"big_leading_zeros", <<131, 110, 3, 0, 5, 0, 0>>},
     {"bit_binary_8", <<131, 77, 0, 0, 0, 1, 8, 255>>},
     {"export_int_arity", <<131, 113, 100, 0, 1, "m", 100, 0, 1, "f", 98, 0, 0, 0, 3>>}].
